using AntennaIngest.Core.Health;
using AntennaIngest.Core.Metrics;
using AntennaIngest.Core.Processing;
using Microsoft.Extensions.Hosting;
using NATS.Client.Core;
using StackExchange.Redis;

namespace AntennaIngest.Hosting;

/// <summary>
/// Probes the shared connections every few seconds and publishes what it sees to /readyz and
/// antenna_ingest_dependency_up. Redis and NATS report their state directly; PostgreSQL is
/// probed with SELECT 1 because a pool has no "connected" state of its own.
/// </summary>
internal sealed class DependencyMonitor(
    IDependencyProbe probe,
    IConnectionMultiplexer redis,
    NatsConnection nats,
    Readiness readiness,
    IngestMetrics metrics) : BackgroundService
{
    private static readonly TimeSpan s_interval = TimeSpan.FromSeconds(3);
    private volatile bool _postgresUp;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        readiness.Register("postgres", () => _postgresUp);
        readiness.Register("redis", () => redis.IsConnected);
        readiness.Register("nats", () => nats.ConnectionState == NatsConnectionState.Open);
        metrics.DependencyUp.Observe(() => redis.IsConnected ? 1 : 0, "redis");
        metrics.DependencyUp.Observe(() => nats.ConnectionState == NatsConnectionState.Open ? 1 : 0, "nats");
        metrics.DependencyUp.Observe(() => _postgresUp ? 1 : 0, "postgres");

        // The NATS client connects lazily; connect now so readiness reflects reality from the start.
        try
        {
            await nats.ConnectAsync();
        }
        catch (NatsException)
        {
            // It keeps reconnecting on its own; readiness shows it is down meanwhile.
        }

        using var timer = new PeriodicTimer(s_interval);
        do
        {
            _postgresUp = await ProbePostgresAsync(stoppingToken);
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task<bool> ProbePostgresAsync(CancellationToken stoppingToken)
    {
        try
        {
            return await probe.IsAvailableAsync("postgres", stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
