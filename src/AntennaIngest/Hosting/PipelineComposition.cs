using System.Diagnostics.CodeAnalysis;
using AntennaIngest.Amqp.Events;
using AntennaIngest.Amqp.Intake;
using AntennaIngest.Amqp.Results;
using AntennaIngest.Core.Celery;
using AntennaIngest.Core.Configuration;
using AntennaIngest.Core.Crops;
using AntennaIngest.Core.Intake;
using AntennaIngest.Imaging;
using AntennaIngest.Postgres.Crops;
using AntennaIngest.Nats.Intake;
using AntennaIngest.Core.Processing;
using AntennaIngest.Nats.Acks;
using AntennaIngest.Nats.Cleanup;
using AntennaIngest.Postgres.Jobs;
using AntennaIngest.Postgres.Writing;
using AntennaIngest.Redis.Bookkeeping;
using AntennaIngest.Redis.JobState;
using AntennaIngest.Redis.Results;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace AntennaIngest.Hosting;

/// <summary>
/// Registers the processing pipeline. Hosted services start in registration order and stop in
/// reverse, so the order below is the shutdown order read bottom-up: intakes stop first, the pump
/// drains, then crops, counts, the writers, progress and the job log flush last.
/// </summary>
internal static class PipelineComposition
{
    public static void Add(IServiceCollection services, IngestSettings settings, IConnectionMultiplexer resultsRedis)
    {
        services.AddSingleton(settings.Database);
        services.AddSingleton(settings.Processing);
        services.AddSingleton(settings.Nats);
        services.AddSingleton(settings.Celery);
        services.AddSingleton(settings.Crops);

        var redisDatabase = settings.Redis.Database;
        services.AddSingleton<IJobStateStore>(sp => new RedisJobStateStore(sp.GetRequiredService<IConnectionMultiplexer>(), redisDatabase));
        services.AddSingleton<IPostCommitQueue>(sp => new RedisPostCommitQueue(sp.GetRequiredService<IConnectionMultiplexer>(), redisDatabase));
        services.AddSingleton<IDirtyCountSource>(sp => new RedisDirtySet(sp.GetRequiredService<IConnectionMultiplexer>(), redisDatabase));
        services.AddSingleton<ICropScheduler>(sp => new RedisCropScheduler(sp.GetRequiredService<IConnectionMultiplexer>(), redisDatabase));
        services.AddSingleton<ICropQueue>(sp => new RedisCropQueue(sp.GetRequiredService<IConnectionMultiplexer>(), redisDatabase));
        services.AddSingleton<ITableChangeNotifier>(sp => TableChangeNotifiers.For(settings.Redis, sp.GetRequiredService<IConnectionMultiplexer>(), sp.GetRequiredService<ILoggerFactory>()));
        services.AddSingleton<ICropRepository, PostgresCropRepository>();

        AddHosted<PostgresJobLog, IJobLog>(services);
        services.AddSingleton<IJobStore, PostgresJobStore>();
        AddHosted<PostgresProgressWriter, IProgressSink>(services);
        WritePathRegistration.Add(services, settings);
        services.AddHostedService<CountRefresher>();
        ImagingRegistration.Add(services, settings);

        services.AddSingleton<ITaskAcknowledger, NatsTaskAcknowledger>();
        services.AddSingleton<IJobTaskQueue, NatsJobTaskQueue>();
        services.AddSingleton<IJobResourceCleaner, JobResourceCleanup>();
        services.AddSingleton<ITaskHandler, ResultProcessor>();

        if (settings.Processing.Intake is IntakeMode.Celery or IntakeMode.Both)
        {
            // Before the pump: events keep flowing while it drains, worker-offline goes last.
            AddCeleryReporting(services, settings.Celery, resultsRedis);
        }

        // Last: the pump, then the intakes, so that on shutdown the intakes stop first.
        services.AddSingleton(new IngestQueue(settings.Processing.MaxInFlight));
        AddHosted<MessagePump>(services);
        if (settings.Processing.Intake is IntakeMode.Celery or IntakeMode.Both)
        {
            AddHosted<CeleryIntake>(services);
        }

        if (settings.Processing.Intake is IntakeMode.JetStream or IntakeMode.Both)
        {
            AddHosted<JetStreamIntake>(services);
        }
    }

    // Celery's result backend and events, for tasks that came through the Celery queue.
    private static void AddCeleryReporting(IServiceCollection services, CelerySettings celery, IConnectionMultiplexer resultsRedis)
    {
        var stats = new CeleryWorkerStats();
        services.AddSingleton(stats);
        CeleryEventJson? eventJson = null;
        if (celery.Events)
        {
            var utcOffset = CeleryEventJson.UtcOffsetHours(TimeZoneInfo.Local.GetUtcOffset(DateTime.UtcNow));
            eventJson = new CeleryEventJson(celery.WorkerName, Environment.ProcessId, utcOffset);
            services.AddSingleton(eventJson);
            AddHosted<CeleryEventPublisher, ICeleryEventSink>(services);
        }

        switch (celery.Results)
        {
            case { Kind: ResultBackendKind.Redis, Redis: { } redis } results:
                services.AddSingleton<ICeleryResultBackend>(new RedisResultBackend(resultsRedis, redis.Database, results.Expires, celery.WorkerName));
                break;
            case { Kind: ResultBackendKind.Rpc }:
                services.AddSingleton<ICeleryResultBackend>(sp => new RpcResultBackend(sp.GetRequiredService<CeleryIntake>()));
                break;
        }

        services.AddSingleton(sp => new CeleryTaskReporter(
            sp.GetService<ICeleryResultBackend>(), sp.GetService<ICeleryEventSink>(), eventJson, stats));
    }

    private static void AddHosted<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TService>(IServiceCollection services)
        where TService : class, IHostedService
    {
        services.AddSingleton<TService>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<TService>());
    }

    private static void AddHosted<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TService, TPort>(IServiceCollection services)
        where TService : class, TPort, IHostedService
        where TPort : class
    {
        services.AddSingleton<TService>();
        services.AddSingleton<TPort>(sp => sp.GetRequiredService<TService>());
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<TService>());
    }
}
