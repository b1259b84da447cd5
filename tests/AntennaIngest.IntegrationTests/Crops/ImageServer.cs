using System.Collections.Concurrent;
using AntennaIngest.Testing;

namespace AntennaIngest.IntegrationTests.Crops;

/// <summary>Source images on loopback: exact bytes per path, 404 otherwise, and /slow/ paths that stall 4 s.</summary>
public sealed class ImageServer : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, byte[]> _files = new(StringComparer.Ordinal);
    private readonly LoopbackHttpServer _server;

    public ImageServer() =>
        _server = new LoopbackHttpServer(
            path => _files.GetValueOrDefault(path.TrimStart('/')),
            delay: path => path.Contains("/slow/", StringComparison.Ordinal) ? TimeSpan.FromSeconds(4) : TimeSpan.Zero);

    public int Port => _server.Port;

    public string BaseUrl => $"http://127.0.0.1:{Port}/images/";

    public int Requests => (int)_server.Requests;

    public void Add(string path, byte[] content) => _files[path] = content;

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
