using System.Net;

namespace AntennaIngest.Workload.Setup;

/// <summary>
/// Serves the image pool over loopback HTTP: GET /{any path ending _p{n}.jpg} returns pool file n.
/// Source images' public_base_url points here, so crops fetch real JPEGs as in production.
/// </summary>
public sealed class ImageServer : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly byte[][] _files;
    private readonly Task _loop;
    private long _served;

    public ImageServer(string directory, int port)
    {
        _files = new byte[ImagePool.Sizes.Length][];
        for (var i = 0; i < _files.Length; i++)
        {
            _files[i] = File.ReadAllBytes(Path.Combine(directory, ImagePool.FileName(i)));
        }

        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _loop = ServeAsync();
    }

    public long Served => Interlocked.Read(ref _served);

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
            var context = await _listener.GetContextAsync();
            _ = RespondAsync(context);
        }
    }

    private async Task RespondAsync(HttpListenerContext context)
    {
        try
        {
            var index = ImagePool.PoolIndexOf(context.Request.Url?.AbsolutePath ?? string.Empty);
            if (index < 0 || index >= _files.Length)
            {
                context.Response.StatusCode = 404;
                context.Response.Close();
                return;
            }

            var body = _files[index];
            context.Response.ContentType = "image/jpeg";
            context.Response.ContentLength64 = body.Length;
            await context.Response.OutputStream.WriteAsync(body);
            context.Response.Close();
            Interlocked.Increment(ref _served);
        }
        catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException)
        {
        }
    }
}
