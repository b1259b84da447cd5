using System.Collections.Concurrent;
using AntennaIngest.Amqp.Events;
using AntennaIngest.Amqp.Intake;
using AntennaIngest.Core.Celery;
using AntennaIngest.Core.Configuration;
using AntennaIngest.Core.Contracts;
using AntennaIngest.Core.Decoding;
using AntennaIngest.Core.Health;
using AntennaIngest.Core.Intake;
using AntennaIngest.Core.Metrics;
using AntennaIngest.Core.Processing;
using AntennaIngest.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace AntennaIngest.IntegrationTests.Intake;

/// <summary>
/// The Celery intake and the real pump on a unique queue of the shared RabbitMQ, with a
/// recording handler standing in for the result processor.
/// </summary>
public sealed class IntakeHarness : IAsyncDisposable
{
    private readonly MessagePump _pump;
    private bool _stopped;

    private IntakeHarness(RecordingHandler handler, string queue, Dictionary<string, string?>? extra, bool celeryReporting)
    {
        Queue = queue;
        Handler = handler;
        var environment = new Dictionary<string, string?>
        {
            ["CELERY_BROKER_URL"] = ServiceEndpoints.BrokerUrl,
            ["INGEST_CELERY_QUEUE"] = queue,
            ["INGEST_CELERY_FALLBACK_QUEUE"] = queue + "_unhandled",
            ["INGEST_CELERY_REJECTED_QUEUE"] = queue + "_rejected",
            ["INGEST_MAX_IN_FLIGHT"] = "16",
            ["INGEST_MAX_RETRIES"] = "2",
            ["INGEST_SHUTDOWN_TIMEOUT"] = "2",
        };
        foreach (var (key, value) in extra ?? [])
        {
            environment[key] = value;
        }

        Settings = new SettingsReader(environment).Read();
        Metrics = new IngestMetrics(new MetricsRegistry());
        var ingestQueue = new IngestQueue(Settings.Processing.MaxInFlight);
        Intake = new CeleryIntake(Settings.Celery, Settings.Processing, ingestQueue, Readiness, NullLogger<CeleryIntake>.Instance);
        CeleryTaskReporter? reporter = null;
        if (celeryReporting)
        {
            (reporter, Events, ResultsRedis) = CeleryReporting.Create(Settings, Intake, Metrics);
        }

        _pump = new MessagePump(ingestQueue, handler, Settings.Processing, Settings.Nats, Metrics, NullLogger<MessagePump>.Instance, reporter: reporter);
    }

    /// <summary>The Celery event publisher, when the harness reports results and events.</summary>
    public CeleryEventPublisher? Events { get; }

    /// <summary>The multiplexer of a Redis result backend.</summary>
    public StackExchange.Redis.ConnectionMultiplexer? ResultsRedis { get; }

    public string Queue { get; }

    public IngestSettings Settings { get; }

    public IngestMetrics Metrics { get; }

    public Readiness Readiness { get; } = new();

    public CeleryIntake Intake { get; }

    public RecordingHandler Handler { get; }

    public static async Task<IntakeHarness> StartAsync(RecordingHandler handler, string? queue = null, Dictionary<string, string?>? extra = null, bool celeryReporting = false)
    {
        var harness = new IntakeHarness(handler, queue ?? $"test_ml_results_{Guid.NewGuid():N}", extra, celeryReporting);
        if (harness.Events is { } events)
        {
            await events.StartAsync(CancellationToken.None);
        }

        await harness._pump.StartAsync(CancellationToken.None);
        await harness.Intake.StartAsync(CancellationToken.None);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!harness.Readiness.IsReady)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("the Celery intake did not start consuming");
            }

            await Task.Delay(50);
        }

        return harness;
    }

    /// <summary>Stops like the host does: intake first, then the pump drains; the connection closes last.</summary>
    public async Task StopAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        await Intake.StopAsync(CancellationToken.None);
        await _pump.StopAsync(CancellationToken.None);
        if (Events is { } events)
        {
            await events.StopAsync(CancellationToken.None);
            await events.DisposeAsync();
        }

        await Intake.DisposeAsync();
        _pump.Dispose();
        ResultsRedis?.Dispose();
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    public sealed class RecordingHandler : ITaskHandler
    {
        public ConcurrentQueue<IngestTask> Handled { get; } = new();

        public ConcurrentQueue<RejectedMessage> Rejected { get; } = new();

        public ConcurrentQueue<IngestTask> Exhausted { get; } = new();

        /// <summary>The outcome of each task (default "saved").</summary>
        public Func<IngestTask, TaskOutcome>? Outcome { get; set; }

        /// <summary>Runs before each task completes (to block or fail it).</summary>
        public Func<IngestTask, CancellationToken, Task>? Before { get; set; }

        public async ValueTask<TaskOutcome> HandleAsync(IngestTask task, InboundMessage message, CancellationToken cancellationToken)
        {
            if (Before is { } before)
            {
                await before(task, cancellationToken);
            }

            Handled.Enqueue(task);
            return Outcome?.Invoke(task) ?? "saved";
        }

        public ValueTask OnRetriesExhaustedAsync(IngestTask task, Exception lastError, CancellationToken cancellationToken)
        {
            Exhausted.Enqueue(task);
            return ValueTask.CompletedTask;
        }

        public ValueTask OnRejectedAsync(RejectedMessage rejection, CancellationToken cancellationToken)
        {
            Rejected.Enqueue(rejection);
            return ValueTask.CompletedTask;
        }

        public async Task WaitForAsync(Func<RecordingHandler, bool> condition, int seconds = 30)
        {
            var deadline = DateTime.UtcNow.AddSeconds(seconds);
            while (!condition(this))
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"condition not met: {Handled.Count} handled, {Rejected.Count} rejected, {Exhausted.Count} exhausted");
                }

                await Task.Delay(50);
            }
        }
    }
}
