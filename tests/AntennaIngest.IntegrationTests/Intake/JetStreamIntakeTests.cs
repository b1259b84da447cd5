using System.Text;
using AntennaIngest.Core.Configuration;
using AntennaIngest.Core.Contracts;
using AntennaIngest.Core.Health;
using AntennaIngest.Core.Intake;
using AntennaIngest.Core.Metrics;
using AntennaIngest.Core.Processing;
using AntennaIngest.Nats.Connections;
using AntennaIngest.Nats.Intake;
using AntennaIngest.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace AntennaIngest.IntegrationTests.Intake;

public sealed class JetStreamIntakeTests : IAsyncLifetime
{
    private readonly string _name = $"test_results_{Guid.NewGuid():N}";
    private NatsConnection _nats = null!;
    private NatsJSContext _js = null!;

    public Task InitializeAsync()
    {
        _nats = NatsConnector.Create(new SettingsReader(new Dictionary<string, string?> { ["NATS_URL"] = ServiceEndpoints.NatsUrl }).Read().Nats, NullLoggerFactory.Instance);
        _js = new NatsJSContext(_nats);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        try
        {
            await _js.DeleteStreamAsync(_name);
        }
        catch (NatsJSApiException)
        {
        }

        await _nats.DisposeAsync();
    }

    private async Task<(JetStreamIntake Intake, MessagePump Pump, IngestMetrics Metrics)> StartAsync(ITaskHandler handler, string ttr = "300", string maxDeliver = "6")
    {
        var settings = new SettingsReader(new Dictionary<string, string?>
        {
            ["NATS_URL"] = ServiceEndpoints.NatsUrl,
            ["NATS_TASK_TTR"] = ttr,
            ["INGEST_JETSTREAM_STREAM"] = _name,
            ["INGEST_JETSTREAM_SUBJECT"] = _name + ".>",
            ["INGEST_JETSTREAM_CONSUMER"] = _name + "-consumer",
            ["INGEST_JETSTREAM_MAX_DELIVER"] = maxDeliver,
            ["INGEST_MAX_RETRIES"] = "1",
            ["INGEST_MAX_IN_FLIGHT"] = "8",
            ["INGEST_SHUTDOWN_TIMEOUT"] = "2",
        }).Read();
        var queue = new IngestQueue(8);
        var readiness = new Readiness();
        var metrics = new IngestMetrics(new MetricsRegistry());
        var pump = new MessagePump(queue, handler, settings.Processing, settings.Nats, metrics, NullLogger<MessagePump>.Instance);
        var intake = new JetStreamIntake(_nats, settings.Nats, settings.Processing, queue, readiness, NullLogger<JetStreamIntake>.Instance);
        await pump.StartAsync(CancellationToken.None);
        await intake.StartAsync(CancellationToken.None);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!readiness.IsReady && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.True(readiness.IsReady);
        return (intake, pump, metrics);
    }

    private async Task PublishAsync(string result)
    {
        var body = $$"""{"job_id": 11, "reply_subject": "$JS.ACK.job_11.job-11-consumer.1.1.1.1.0", "result": {{result}}}""";
        (await _js.PublishAsync($"{_name}.11", Encoding.UTF8.GetBytes(body))).EnsureSuccess();
    }

    private async Task<ConsumerInfo> ConsumerAsync() => (await _js.GetConsumerAsync(_name, _name + "-consumer")).Info;

    private static async Task StopAsync(JetStreamIntake intake, MessagePump pump)
    {
        await intake.StopAsync(CancellationToken.None);
        await pump.StopAsync(CancellationToken.None);
        intake.Dispose();
        pump.Dispose();
    }

    [Fact]
    public async Task Results_are_decoded_handled_and_acked_once_and_poison_is_terminated()
    {
        var handler = new IntakeHarness.RecordingHandler();
        var (intake, pump, _) = await StartAsync(handler);

        await PublishAsync("""{"error": "CUDA out of memory", "image_id": 3}""");
        await PublishAsync("""{"pipeline": 1}""");
        await handler.WaitForAsync(h => h.Handled.Count == 1 && h.Rejected.Count == 1);
        await StopAsync(intake, pump);

        var task = Assert.IsType<ProcessPipelineResultTask>(Assert.Single(handler.Handled));
        Assert.Equal(11, task.JobId);
        Assert.Equal(["3"], task.Result.ImageIds());
        var info = await ConsumerAsync();
        Assert.Equal(2UL, info.AckFloor!.StreamSeq); // acked and terminated both count as done
        Assert.Equal(0, info.NumAckPending);
        Assert.Equal(0, info.NumRedelivered);
    }

    [Fact]
    public async Task Transient_failures_are_nakked_with_a_delay_redelivered_and_finally_terminated()
    {
        var attempts = 0;
        var handler = new IntakeHarness.RecordingHandler
        {
            Before = (_, _) =>
            {
                Interlocked.Increment(ref attempts);
                throw new DependencyUnavailableException("postgres", "pgbouncer unavailable");
            },
        };
        var (intake, pump, metrics) = await StartAsync(handler);

        await PublishAsync("""{"error": "x", "image_id": 3}""");
        await handler.WaitForAsync(h => h.Exhausted.Count == 1, seconds: 60);
        await StopAsync(intake, pump);

        Assert.Equal(2, attempts); // one delivery + INGEST_MAX_RETRIES redeliveries
        Assert.Equal(1, metrics.Results.Value("jetstream", "redelivered_later"));
        Assert.Equal(1, metrics.Results.Value("jetstream", "failed"));
        var info = await ConsumerAsync();
        Assert.Equal(0, info.NumAckPending);
        Assert.Equal(1UL, info.AckFloor!.StreamSeq);
    }

    [Fact]
    public async Task A_long_task_reports_progress_so_jetstream_does_not_redeliver_it()
    {
        var handler = new IntakeHarness.RecordingHandler { Before = (_, cancellationToken) => Task.Delay(TimeSpan.FromSeconds(4.5), cancellationToken) };
        var (intake, pump, _) = await StartAsync(handler, ttr: "2");

        await PublishAsync("""{"error": "x", "image_id": 3}""");
        await handler.WaitForAsync(h => h.Handled.Count == 1);
        await StopAsync(intake, pump);

        var info = await ConsumerAsync();
        Assert.Equal(0, info.NumRedelivered);
        Assert.Single(handler.Handled);
    }
}
