using System.Diagnostics;
using AntennaIngest.Testing;
using AntennaIngest.Workload.Measure;
using AntennaIngest.Workload.Setup;
using StackExchange.Redis;

namespace AntennaIngest.Workload.Chaos;

/// <summary>
/// The soak's once-a-minute reading of the running binary and what it leaves behind: results
/// offered and acked in the minute and their enqueue → ack percentiles, its RSS and CPU, the keys
/// of the job-state and result-backend Redis databases, jobs finished and still open, the queue,
/// and the connections it holds (its own TCP sockets by service; PostgreSQL's and pgbouncer's counts).
/// </summary>
public sealed class SoakSampler : IAsyncDisposable
{
    private readonly ChaosWorld _world;
    private readonly Process _process;
    private readonly ConnectionSampler _connections;
    private readonly ConnectionMultiplexer _redis;
    private readonly IDatabase _jobState;
    private readonly IDatabase _results;
    private readonly Dictionary<int, string> _services;
    private long _lastNs;
    private int _lastAcked;
    private int _lastEnqueued;
    private long _lastFinished;
    private double _lastCpuSeconds;

    private SoakSampler(ChaosWorld world, Process process, ConnectionMultiplexer redis, IDatabase jobState, int resultDatabase, long finished)
    {
        _world = world;
        _process = process;
        _connections = new ConnectionSampler(world.Manifest.DirectUrl, world.Manifest.Database, ServiceEndpoints.PgbouncerAdminUrl);
        (_redis, _jobState) = (redis, jobState);
        _results = redis.GetDatabase(resultDatabase);
        _services = new()
        {
            [new Uri(world.Manifest.PgbouncerUrl).Port] = "pgbouncer",
            [new Uri(world.Manifest.RedisUrl).Port] = "redis",
            [new Uri(world.Manifest.NatsUrl).Port] = "nats",
            [new Uri(ServiceEndpoints.BrokerUrl).Port] = "rabbitmq",
        };
        (_lastNs, _lastAcked, _lastEnqueued, _lastFinished) = (world.Now(), world.Acked, world.Enqueued, finished);
        _lastCpuSeconds = ProcessStat.Read(process.Id)?.CpuSeconds ?? 0;
    }

    /// <summary>Starts counting from now; <paramref name="resultDatabase"/> is the Redis database of the binary's Celery result backend.</summary>
    public static async Task<SoakSampler> StartAsync(ChaosWorld world, Process process, int resultDatabase)
    {
        var (redis, jobState) = await ServiceClients.RedisAsync(world.Manifest.RedisUrl);
        return new SoakSampler(world, process, redis, jobState, resultDatabase, await FinishedJobsAsync(world));
    }

    public async Task<SoakSample> SampleAsync(int minute)
    {
        var now = _world.Now();
        var seconds = (now - _lastNs) / 1e9;
        var latencies = Percentiles.Of(_world.SecondsEnqueueToAck(_lastNs, now).Select(s => s * 1000).ToList());
        var (acked, enqueued) = (_world.Acked, _world.Enqueued);
        var stat = ProcessStat.Read(_process.Id);
        var sockets = TcpConnections.Read(_process.Id);
        var finished = await FinishedJobsAsync(_world);
        await _connections.SampleDatabaseAsync(CancellationToken.None);
        await _connections.SamplePoolsAsync(CancellationToken.None);
        var byService = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var (port, count) in sockets?.ByRemotePort ?? new Dictionary<int, int>())
        {
            var service = _services.GetValueOrDefault(port, "other");
            byService[service] = byService.GetValueOrDefault(service) + count;
        }

        var sample = new SoakSample(
            minute,
            (enqueued - _lastEnqueued) / seconds,
            (acked - _lastAcked) / seconds,
            latencies.P50,
            latencies.P99,
            (stat?.RssBytes ?? 0) / (1024.0 * 1024.0),
            ((stat?.CpuSeconds ?? _lastCpuSeconds) - _lastCpuSeconds) / seconds,
            (long)await _jobState.ExecuteAsync("DBSIZE"),
            (long)await _results.ExecuteAsync("DBSIZE"),
            (int)(finished - _lastFinished),
            _world.Manifest.Jobs.Count - (int)finished,
            await _world.QueueDepthAsync(),
            byService,
            sockets?.NotEstablished ?? 0,
            _connections.ServerConnections,
            _connections.Clients);
        (_lastNs, _lastAcked, _lastEnqueued, _lastFinished) = (now, acked, enqueued, finished);
        _lastCpuSeconds = stat?.CpuSeconds ?? _lastCpuSeconds;
        return sample;
    }

    public async ValueTask DisposeAsync()
    {
        await _connections.DisposeAsync();
        await _redis.DisposeAsync();
    }

    private static async Task<long> FinishedJobsAsync(ChaosWorld world)
    {
        await using var database = world.DirectDatabase();
        await using var command = database.CreateCommand("SELECT count(*) FROM jobs_job WHERE finished_at IS NOT NULL");
        return (long)(await command.ExecuteScalarAsync())!;
    }
}

/// <summary>One minute of the soak (rates per second over the minute; counts at its end).</summary>
public sealed record SoakSample(
    int Minute,
    double OfferedPerSecond,
    double AckedPerSecond,
    double P50Ms,
    double P99Ms,
    double RssMb,
    double CpuCores,
    long JobStateKeys,
    long ResultKeys,
    int JobsFinished,
    int JobsOpen,
    long QueueDepth,
    IReadOnlyDictionary<string, int> Connections,
    int ConnectionsNotEstablished,
    long PostgresBackends,
    long PgbouncerClients)
{
    /// <summary>The binary's TCP connections to every service.</summary>
    public int BinaryConnections => Connections.Values.Sum();
}
