using System.Diagnostics;
using System.Globalization;
using AntennaIngest.Testing;

namespace AntennaIngest.Workload.Chaos;

/// <summary>
/// A pgbouncer of a scenario's own in front of the shared PostgreSQL, with the shared one's
/// settings and another pool size: started by scripts/services.sh with its state in the world's
/// folder, so the shared pgbouncer other scenarios and tests use keeps its pool.
/// </summary>
public sealed class PrivatePgbouncer : IAsyncDisposable
{
    private readonly string _script;
    private readonly Dictionary<string, string> _environment;

    private PrivatePgbouncer(string script, Dictionary<string, string> environment, string url, int port)
    {
        _script = script;
        _environment = environment;
        Url = url;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The world's database through this pgbouncer.</summary>
    public string Url { get; }

    /// <param name="extra">More of services.sh's pgbouncer settings (INGEST_PGBOUNCER_TLS, INGEST_PGBOUNCER_EXTRA_USER…).</param>
    public static async Task<PrivatePgbouncer> StartAsync(ChaosSettings settings, string directory, string databaseUrl, int poolSize, IReadOnlyDictionary<string, string>? extra = null)
    {
        var port = LoopbackPorts.Free();
        var environment = new Dictionary<string, string>
        {
            ["INGEST_SERVICES_DIR"] = directory,
            ["INGEST_PGBOUNCER_PORT"] = port.ToString(CultureInfo.InvariantCulture),
            ["INGEST_PGBOUNCER_POOL_SIZE"] = poolSize.ToString(CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }

        await Scenarios.RunScriptAsync(settings.ServicesScript, environment, "start", "pgbouncer");
        var url = new UriBuilder(databaseUrl) { Port = port }.Uri.ToString();
        return new PrivatePgbouncer(settings.ServicesScript, environment, url, port);
    }

    public async ValueTask DisposeAsync() => await Scenarios.RunScriptAsync(_script, _environment, "stop", "pgbouncer");
}
