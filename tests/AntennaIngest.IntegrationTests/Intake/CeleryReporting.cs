using AntennaIngest.Amqp.Events;
using AntennaIngest.Amqp.Intake;
using AntennaIngest.Amqp.Results;
using AntennaIngest.Core.Celery;
using AntennaIngest.Core.Configuration;
using AntennaIngest.Core.Metrics;
using AntennaIngest.Core.Processing;
using AntennaIngest.Redis.Connections;
using AntennaIngest.Redis.Results;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace AntennaIngest.IntegrationTests.Intake;

/// <summary>The result backend and event publisher wired as the executable wires them (PipelineComposition).</summary>
internal static class CeleryReporting
{
    public static (CeleryTaskReporter Reporter, CeleryEventPublisher? Events, ConnectionMultiplexer? Redis) Create(IngestSettings settings, CeleryIntake intake, IngestMetrics metrics)
    {
        var celery = settings.Celery;
        var stats = new CeleryWorkerStats();
        var json = new CeleryEventJson(celery.WorkerName, Environment.ProcessId, 0);
        var events = celery.Events ? new CeleryEventPublisher(celery, json, stats, metrics, NullLogger<CeleryEventPublisher>.Instance) : null;
        ConnectionMultiplexer? redis = null;
        ICeleryResultBackend backend;
        if (celery.Results!.Kind == ResultBackendKind.Redis)
        {
            redis = ConnectionMultiplexer.Connect(RedisConnector.Options(celery.Results.Redis!));
            backend = new RedisResultBackend(redis, celery.Results.Redis!.Database, celery.Results.Expires, celery.WorkerName);
        }
        else
        {
            backend = new RpcResultBackend(intake);
        }

        return (new CeleryTaskReporter(backend, events, json, stats), events, redis);
    }
}
