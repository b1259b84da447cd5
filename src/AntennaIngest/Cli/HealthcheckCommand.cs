using System.Globalization;
using AntennaIngest.Core.Configuration;

namespace AntennaIngest.Cli;

/// <summary>
/// `antenna-ingest healthcheck`: GET /healthz of a running instance on this host, exit 0 when it
/// answers 200. The container image has no shell or curl, so its HEALTHCHECK runs this.
/// </summary>
internal static class HealthcheckCommand
{
    public static async Task<int> RunAsync(string path, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        HttpSettings http;
        try
        {
            http = SettingsReader.FromProcessEnvironment().Read().Http;
        }
        catch (SettingsException e)
        {
            error.WriteLine($"antenna-ingest: invalid setting {e.Message}");
            return ExitCodes.BadSettings;
        }

        if (http.Port == 0)
        {
            error.WriteLine("antenna-ingest: INGEST_HTTP_PORT is 0, no endpoint to check");
            return ExitCodes.Failed;
        }

        var host = http.Host is "0.0.0.0" or "*" or "+" ? "127.0.0.1" : http.Host;
        var url = string.Create(CultureInfo.InvariantCulture, $"http://{host}:{http.Port}/{path.TrimStart('/')}");
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        try
        {
            using var response = await client.GetAsync(url, cancellationToken);
            output.WriteLine($"{url} {(int)response.StatusCode}");
            return response.IsSuccessStatusCode ? ExitCodes.Ok : ExitCodes.Failed;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            error.WriteLine($"{url} unreachable: {e.Message}");
            return ExitCodes.Failed;
        }
    }
}
