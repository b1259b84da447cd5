using AntennaIngest.Testing;

namespace AntennaIngest.Workload.Setup;

/// <summary>
/// Serves the image pool over loopback HTTP: GET /{any path ending _p{n}.jpg} returns pool file n.
/// Source images' public_base_url points here, so crops fetch real JPEGs as in production.
/// </summary>
public sealed class ImageServer : IAsyncDisposable
{
    private readonly LoopbackHttpServer _server;

    public ImageServer(string directory, int port)
    {
        var files = new byte[ImagePool.Sizes.Length][];
        for (var i = 0; i < files.Length; i++)
        {
            files[i] = File.ReadAllBytes(Path.Combine(directory, ImagePool.FileName(i)));
        }

        _server = new LoopbackHttpServer(path => ImagePool.PoolIndexOf(path) is var index && index >= 0 && index < files.Length ? files[index] : null, port);
    }

    public long Served => _server.Served;

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
