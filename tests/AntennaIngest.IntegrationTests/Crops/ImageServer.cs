using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace AntennaIngest.IntegrationTests.Crops;

/// <summary>A loopback HTTP server for source images: exact bytes per path, 404 otherwise, and /slow/ paths that stall.</summary>
public sealed class ImageServer : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentDictionary<string, byte[]> _files = new(StringComparer.Ordinal);
    private readonly Task _loop;

    public ImageServer()
    {
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = ServeAsync();
    }

    public int Port { get; }

    public string BaseUrl => $"http://127.0.0.1:{Port}/images/";

    private int _requests;

    public int Requests => Volatile.Read(ref _requests);

    public void Add(string path, byte[] content) => _files[path] = content;

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        try
        {
            await _loop;
        }
        catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
        {
        }

        _listener.Close();
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = RespondAsync(context);
        }
    }

    private async Task RespondAsync(HttpListenerContext context)
    {
        Interlocked.Increment(ref _requests);
        var path = context.Request.Url!.AbsolutePath.TrimStart('/');
        try
        {
            if (path.Contains("/slow/", StringComparison.Ordinal))
            {
                await Task.Delay(TimeSpan.FromSeconds(4));
            }

            if (_files.TryGetValue(path, out var content))
            {
                context.Response.ContentType = "image/jpeg";
                context.Response.ContentLength64 = content.Length;
                await context.Response.OutputStream.WriteAsync(content);
            }
            else
            {
                context.Response.StatusCode = 404;
            }

            context.Response.Close();
        }
        catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException)
        {
        }
    }
}
