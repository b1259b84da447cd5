using AntennaIngest.Workload.Network;
using AntennaIngest.Workload.Setup;

namespace AntennaIngest.Workload.Measure;

/// <summary>
/// The service URLs a contender gets: direct, or each through its own delaying proxy (one
/// `delay-proxy` process, one proxy per service) when a round trip is added. Only the contender
/// goes through the proxies; the harness (enqueuer, ack observer, samplers) stays direct.
/// </summary>
public sealed class ContenderNetwork : IAsyncDisposable
{
    private const string ProxyMethod = "user-space delaying TCP proxy on loopback, one per service (antenna-workload delay-proxy: each chunk held half the added round trip in each direction, TCP handshake delayed by one added round trip)";
    private readonly double _addedRttMs;
    private readonly DelayProxyProcess? _proxies;
    private readonly List<string> _proxied;

    private ContenderNetwork(double addedRttMs, DelayProxyProcess? proxies, List<string> proxied, Dictionary<string, string> environment)
    {
        _addedRttMs = addedRttMs;
        _proxies = proxies;
        _proxied = proxied;
        Environment = environment;
    }

    /// <summary>DATABASE_URL, REDIS_URL, NATS_URL, CELERY_BROKER_URL (and CELERY_RESULT_BACKEND when set) for the contender.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; }

    public static async Task<ContenderNetwork> StartAsync(double addedRttMs, Manifest manifest, string brokerUrl)
    {
        // A result backend URL in the harness's environment reaches the contender too; it is
        // proxied like REDIS_URL (through the same proxy when it is the same server).
        var services = new List<(string Name, string Variable, string Url)>
        {
            ("pgbouncer", "DATABASE_URL", manifest.PgbouncerUrl),
            ("redis", "REDIS_URL", manifest.RedisUrl),
            ("nats", "NATS_URL", manifest.NatsUrl),
            ("rabbitmq", "CELERY_BROKER_URL", brokerUrl),
        };
        if (System.Environment.GetEnvironmentVariable("CELERY_RESULT_BACKEND") is { Length: > 0 } backend && backend.StartsWith("redis", StringComparison.Ordinal))
        {
            services.Add(ServiceUrl.Target(backend) == ServiceUrl.Target(manifest.RedisUrl) ? ("redis", "CELERY_RESULT_BACKEND", backend) : ("redis-result-backend", "CELERY_RESULT_BACKEND", backend));
        }

        var environment = services.ToDictionary(s => s.Variable, s => s.Url, StringComparer.Ordinal);
        if (addedRttMs <= 0)
        {
            return new ContenderNetwork(0, null, [], environment);
        }

        var targets = services.DistinctBy(s => s.Name).Select(s =>
        {
            var (host, port) = ServiceUrl.Target(s.Url);
            return (s.Name, host, port);
        }).ToList();
        var proxies = await DelayProxyProcess.StartAsync(addedRttMs, targets);
        foreach (var (name, variable, url) in services)
        {
            environment[variable] = proxies.Through(name, url);
        }

        return new ContenderNetwork(addedRttMs, proxies, [.. targets.Select(t => t.Name)], environment);
    }

    /// <summary>Stops the proxies (after the contender) and says how the network was shaped.</summary>
    public async Task<NetworkReport> StopAsync()
    {
        if (_proxies is null)
        {
            return new NetworkReport();
        }

        var report = await _proxies.StopAsync();
        return new NetworkReport
        {
            AddedRttMs = _addedRttMs,
            Method = ProxyMethod,
            ProxyCpuSeconds = report.CpuSeconds,
            Proxied = _proxied,
            Proxies = report.Proxies,
        };
    }

    public async ValueTask DisposeAsync()
    {
        if (_proxies is not null)
        {
            await _proxies.DisposeAsync();
        }
    }
}
