using System.Diagnostics.CodeAnalysis;
using AntennaIngest.Amqp.Intake;
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
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;

namespace AntennaIngest.Hosting;

/// <summary>
/// Registers the processing pipeline. Hosted services start in registration order and stop in
/// reverse, so the order below is the shutdown order read bottom-up: intakes stop first, the pump
/// drains, then crops, counts, the writers, progress and the job log flush last.
/// </summary>
internal static class PipelineComposition
{
    public static void Add(IServiceCollection services, IngestSettings settings)
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
