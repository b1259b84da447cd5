using System.Diagnostics;
using System.Globalization;
using AntennaIngest.Core.Configuration;
using AntennaIngest.Core.Health;
using AntennaIngest.Core.Metrics;
using AntennaIngest.Postgres.Connections;
using Microsoft.Extensions.Hosting;
using NATS.Client.Core;
using Npgsql;
using StackExchange.Redis;

namespace AntennaIngest.Hosting;

/// <summary>
/// Probes the shared connections every few seconds and publishes what it sees to /readyz and
/// antenna_ingest_dependency_up. Redis and NATS report their state directly; PostgreSQL is
/// probed with SELECT 1 because a pool has no "connected" state of its own. The probe times its
/// two waits apart, so /readyz can say where results wait: for a connection of the binary's own
/// pool, or behind a connection already held (pgbouncer's pool or PostgreSQL itself).
/// </summary>
internal sealed class DependencyMonitor(
    NpgsqlDataSource dataSource,
    NpgsqlPoolMetrics pool,
    DatabaseSettings database,
    IConnectionMultiplexer redis,
    NatsConnection nats,
    Readiness readiness,
    IngestMetrics metrics) : BackgroundService
{
    private static readonly TimeSpan s_interval = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(5);

    // A held connection that takes longer than this for SELECT 1 is waiting behind something.
    private static readonly TimeSpan s_slowAnswer = TimeSpan.FromMilliseconds(250);

    private volatile bool _postgresUp;
    private volatile ProbeTimes? _lastProbe;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        readiness.Register("postgres", () => _postgresUp, PostgresDetail);
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
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(s_timeout);
        var started = Stopwatch.GetTimestamp();
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(timeout.Token);
            var opened = Stopwatch.GetTimestamp();
            await using (var command = new NpgsqlCommand("SELECT 1", connection))
            {
                await command.ExecuteScalarAsync(timeout.Token);
            }

            _lastProbe = new ProbeTimes(Stopwatch.GetElapsedTime(started, opened), Stopwatch.GetElapsedTime(opened));
            return true;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or OperationCanceledException)
        {
            _lastProbe = null;
            return false;
        }
    }

    private string PostgresDetail()
    {
        var use = pool.Read();
        var text = string.Create(CultureInfo.InvariantCulture, $"{use.Used}/{database.Connections} pooled connections in use, {use.Waiting} requests waiting for one");
        if (_lastProbe is not { } probe)
        {
            return text;
        }

        text += string.Create(CultureInfo.InvariantCulture, $" (waited {probe.ForConnection.TotalSeconds:F2} s); SELECT 1 took {probe.OnConnection.TotalSeconds:F2} s on its connection");
        if (probe.OnConnection >= s_slowAnswer)
        {
            text += " (pgbouncer's pool or PostgreSQL is busy)";
        }
        else if (use.Waiting > 0)
        {
            text += " (results wait for the binary's own pool, INGEST_DB_CONNECTIONS; none fail)";
        }

        return text;
    }

    private sealed record ProbeTimes(TimeSpan ForConnection, TimeSpan OnConnection);
}
