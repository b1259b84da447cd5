using System.Net;
using System.Text;
using AntennaIngest.Core.Configuration;
using AntennaIngest.Core.Health;
using AntennaIngest.Core.Metrics;
using AntennaIngest.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AntennaIngest.Http;

/// <summary>
/// /healthz, /readyz and /metrics on the BCL's HttpListener: no web framework in the binary for
/// three read-only endpoints, and it publishes AOT-clean.
/// </summary>
internal sealed class HttpEndpointService(
    HttpSettings settings,
    Readiness readiness,
    MetricsRegistry metrics,
    IEnumerable<IMetricsRefresher> refreshers,
    ILogger<HttpEndpointService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (settings.Port == 0)
        {
            return;
        }

        var host = settings.Host is "0.0.0.0" or "*" or "+" ? "*" : settings.Host;
        var prefix = $"http://{host}:{settings.Port}/";
        using var listener = new HttpListener();
        listener.Prefixes.Add(prefix);
        try
        {
            listener.Start();
        }
        catch (HttpListenerException e)
        {
            Log.HttpStartFailed(logger, prefix, e);
            throw;
        }

        Log.HttpListening(logger, prefix);
        using var stop = stoppingToken.Register(listener.Stop);
        while (!stoppingToken.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (HttpListenerException e)
            {
                Log.HttpRequestFailed(logger, e);
                continue;
            }

            try
            {
                Respond(context);
            }
            catch (Exception e) when (e is HttpListenerException or IOException or InvalidOperationException)
            {
                Log.HttpRequestFailed(logger, e);
            }
        }
    }

    private void Respond(HttpListenerContext context)
    {
        var (status, contentType, body) = context.Request.Url?.AbsolutePath switch
        {
            "/healthz" => (200, "text/plain; charset=utf-8", "ok\n"),
            "/readyz" => ReadyBody(),
            "/metrics" => (200, "text/plain; version=0.0.4; charset=utf-8", MetricsBody()),
            _ => (404, "text/plain; charset=utf-8", "not found: /healthz /readyz /metrics\n"),
        };
        var bytes = Encoding.UTF8.GetBytes(body);
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = contentType;
        response.ContentLength64 = bytes.Length;
        response.OutputStream.Write(bytes);
        response.Close();
    }

    private (int, string, string) ReadyBody()
    {
        var builder = new StringBuilder();
        foreach (var (name, ready, detail) in readiness.Snapshot())
        {
            builder.Append(name).Append(ready ? " ok" : " not ready");
            builder.Append(detail.Length > 0 ? $": {detail}\n" : "\n");
        }

        return (readiness.IsReady ? 200 : 503, "text/plain; charset=utf-8", builder.ToString());
    }

    private string MetricsBody()
    {
        foreach (var refresher in refreshers)
        {
            refresher.Refresh();
        }

        return metrics.Render();
    }
}
