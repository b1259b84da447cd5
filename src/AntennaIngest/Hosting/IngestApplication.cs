using System.Reflection;
using AntennaIngest.Cli;
using AntennaIngest.Core.Configuration;
using AntennaIngest.Core.Health;
using AntennaIngest.Core.Metrics;
using AntennaIngest.Core.Processing;
using AntennaIngest.Http;
using AntennaIngest.Nats.Connections;
using AntennaIngest.Postgres.Connections;
using AntennaIngest.Redis.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using Npgsql;
using StackExchange.Redis;

namespace AntennaIngest.Hosting;

/// <summary>`antenna-ingest run`: the composition root. Connections are created once here and injected.</summary>
internal static class IngestApplication
{
    public static string Version { get; } =
        typeof(IngestApplication).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    public static async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        if (!SettingsLoader.TryLoad(Console.Error, out var settings))
        {
            return ExitCodes.BadSettings;
        }

        // Made before the host (and its logger factory): start-up checks and the Redis client report here.
        using var startupLoggers = LoggerFactory.Create(logging => LoggingSetup.Configure(logging, settings.Logging));
        var refused = await CertificateCheck.FindRefusedAsync(settings, cancellationToken);
        foreach (var status in refused)
        {
            Log.CertificateRefused(startupLoggers.CreateLogger("AntennaIngest"), status.Name, status.Detail);
        }

        if (refused.Count > 0)
        {
            return ExitCodes.CertificateRefused;
        }

        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        LoggingSetup.Configure(builder.Logging, settings.Logging);
        builder.Services.Configure<HostOptions>(options =>
        {
            // The drain itself is bounded by INGEST_SHUTDOWN_TIMEOUT; the host waits a little longer
            // so hand-back and flushes finish before disposal.
            options.ShutdownTimeout = settings.Processing.ShutdownTimeout + TimeSpan.FromSeconds(5);
            options.ServicesStopConcurrently = false;
        });
        builder.Services.Configure<ConsoleLifetimeOptions>(options => options.SuppressStatusMessages = true);

        var registry = new MetricsRegistry();
        var metrics = new IngestMetrics(registry);
        var readiness = new Readiness();
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(settings.Http);
        builder.Services.AddSingleton(registry);
        builder.Services.AddSingleton(metrics);
        builder.Services.AddSingleton(readiness);

        builder.Services.AddSingleton(sp => PostgresDataSource.Create(settings.Database, sp.GetRequiredService<ILoggerFactory>()));
        builder.Services.AddSingleton<NpgsqlPoolMetrics>();
        builder.Services.AddSingleton<IMetricsRefresher, PoolMetricsRefresher>();

        // abortConnect=false: the multiplexer returns at once and keeps reconnecting in the background.
        var multiplexer = await RedisConnector.ConnectAsync(settings.Redis, startupLoggers);
        builder.Services.AddSingleton<IConnectionMultiplexer>(multiplexer);
        // Celery results usually live in another database of the same Redis: one multiplexer serves both.
        var resultsRedis = settings.Celery.Results?.Redis is { } results && !RedisConnector.SameServer(results, settings.Redis)
            ? await RedisConnector.ConnectAsync(results, startupLoggers)
            : multiplexer;
        builder.Services.AddSingleton(sp => NatsConnector.Create(settings.Nats, sp.GetRequiredService<ILoggerFactory>()));

        builder.Services.AddHostedService<HttpEndpointService>();
        builder.Services.AddSingleton<IDependencyProbe, DependencyProbe>();
        builder.Services.AddHostedService<DependencyMonitor>();
        builder.Services.AddHostedService<SystemdNotifier>();
        PipelineComposition.Add(builder.Services, settings, resultsRedis);

        using var host = builder.Build();
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("AntennaIngest");
        Log.Starting(
            logger,
            Version,
            settings.Processing.Intake.ToString(),
            settings.Processing.MaxInFlight,
            settings.Database.Redacted,
            settings.Database.Connections,
            settings.Redis.Redacted,
            settings.Nats.Redacted,
            settings.Celery.Redacted,
            GC.GetConfigurationVariables().TryGetValue("GCConserveMem", out var conserve) ? conserve.ToString() ?? "?" : "0");

        await host.RunAsync(cancellationToken);
        Log.Stopped(logger);
        return ExitCodes.Ok;
    }

    private sealed class PoolMetricsRefresher(NpgsqlPoolMetrics pool, IngestMetrics metrics) : IMetricsRefresher
    {
        public void Refresh()
        {
            var use = pool.Read();
            metrics.DbConnectionsInUse.Set(use.Used);
            metrics.DbConnectionsOpen.Set(use.Open);
            metrics.DbRequestsWaiting.Set(use.Waiting);
        }
    }
}
