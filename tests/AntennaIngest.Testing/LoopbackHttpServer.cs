using System.Net;

namespace AntennaIngest.Testing;

/// <summary>
/// A loopback HTTP server for fixtures (source images): each request's path goes to
/// <c>resolve</c>, which returns the body or null for 404; <c>delay</c> can stall a path first.
/// Port 0 picks a free port.
/// </summary>
public sealed class LoopbackHttpServer : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Func<string, byte[]?> _resolve;
    private readonly Func<string, TimeSpan>? _delay;
    private readonly Task _loop;
    private long _requests;
    private long _served;

    public LoopbackHttpServer(Func<string, byte[]?> resolve, int port = 0, Func<string, TimeSpan>? delay = null)
    {
        _resolve = resolve;
        _delay = delay;
        Port = port != 0 ? port : LoopbackPorts.Free();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = ServeAsync();
    }

    public int Port { get; }

    /// <summary>Requests received, whatever the answer.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Requests answered with a body.</summary>
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
        var path = context.Request.Url?.AbsolutePath ?? string.Empty;
        try
        {
            if (_delay?.Invoke(path) is { } delay && delay > TimeSpan.Zero)
            {
                await Task.Delay(delay);
            }

            if (_resolve(path) is { } body)
            {
                context.Response.ContentType = "image/jpeg";
                context.Response.ContentLength64 = body.Length;
                await context.Response.OutputStream.WriteAsync(body);
                Interlocked.Increment(ref _served);
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
