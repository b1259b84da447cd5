using System.Diagnostics;
using System.Text;
using AntennaIngest.Amqp.Connections;
using AntennaIngest.Core.Contracts;
using AntennaIngest.Core.Processing;
using AntennaIngest.Testing;
using RabbitMQ.Client;

namespace AntennaIngest.IntegrationTests.Intake;

public sealed class CeleryIntakeTests
{
    private static async Task<(IConnection Connection, IChannel Channel)> BrokerAsync(string harnessQueue)
    {
        var settings = new Core.Configuration.SettingsReader(new Dictionary<string, string?> { ["CELERY_BROKER_URL"] = ServiceEndpoints.BrokerUrl, ["INGEST_CELERY_QUEUE"] = harnessQueue }).Read().Celery;
        var connection = await AmqpConnector.CreateFactory(settings).CreateConnectionAsync();
        return (connection, await connection.CreateChannelAsync());
    }

    private static async Task DeleteQueuesAsync(IChannel channel, string queue)
    {
        foreach (var name in new[] { queue, queue + "_unhandled", queue + "_rejected" })
        {
            await channel.QueueDeleteAsync(name);
        }
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(directory!.FullName, "antenna-ingest-aot.sln")))
        {
            directory = directory.Parent;
        }

        return directory.FullName;
    }

    [Fact]
    public async Task Tasks_published_by_a_real_celery_client_are_decoded_and_acked()
    {
        var queue = $"test_celery_{Guid.NewGuid():N}";
        var sender = Process.Start(new ProcessStartInfo("/usr/bin/python3", [Path.Combine(RepositoryRoot(), "tests", "celery", "send_tasks.py"), ServiceEndpoints.BrokerUrl, queue])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var output = await sender.StandardOutput.ReadToEndAsync();
        await sender.WaitForExitAsync();
        Assert.True(sender.ExitCode == 0, await sender.StandardError.ReadToEndAsync());
        Assert.Equal(3, output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        var handler = new IntakeHarness.RecordingHandler();
        await using (var harness = await IntakeHarness.StartAsync(handler, queue))
        {
            await handler.WaitForAsync(h => h.Handled.Count == 3);
        }

        var tasks = handler.Handled.ToList();
        var process = Assert.Single(tasks.OfType<ProcessPipelineResultTask>());
        Assert.Equal(42, process.JobId);
        Assert.Equal("$JS.ACK.job_42.job-42-consumer.1.17.17.1718000000000000000.3", process.ReplySubject);
        var detection = process.Result.Success!.Detections.Single();
        Assert.Equal(new BoundingBox(10, 20.5, 110, 220), detection.Bbox);
        Assert.Equal("2024-06-01T02:13:44.123456+00:00", detection.Timestamp.IsoText);
        Assert.Equal("2026-07-22T23:04:47.733001", detection.Classifications.Single().Timestamp.IsoText);
        Assert.False(detection.Classifications.Single().Terminal);
        var save = Assert.Single(tasks.OfType<SaveResultsTask>());
        Assert.Equal(43, save.JobId);
        Assert.Equal("global_moths_2024", save.Results.Pipeline);
        Assert.Equal([987654L, 987655L], Assert.Single(tasks.OfType<CreateDetectionImagesTask>()).SourceImageIds);

        var (connection, channel) = await BrokerAsync(queue);
        await using (connection)
        {
            Assert.Equal(0u, (await channel.QueueDeclarePassiveAsync(queue)).MessageCount); // all acked
            await DeleteQueuesAsync(channel, queue);
        }
    }

    [Fact]
    public async Task Unknown_tasks_go_to_the_fallback_queue_byte_identical_and_poison_to_the_rejected_queue()
    {
        var handler = new IntakeHarness.RecordingHandler();
        var harness = await IntakeHarness.StartAsync(handler);
        var (connection, channel) = await BrokerAsync(harness.Queue);
        await using (connection)
        {
            var unknown = CeleryMessage.Create("ami.main.tasks.regroup_events", w => w.WriteNumber("deployment_id", 3));
            await unknown.PublishAsync(channel, harness.Queue);
            var poison = CeleryMessage.Create(CeleryMessage.ProcessResultTask, w => w.WriteString("job_id", "not a number"));
            await poison.PublishAsync(channel, harness.Queue);
            var truncated = CeleryMessage.ProcessResult(5, "{}", "r") with { Body = CeleryMessage.Zlib("[[], {"u8.ToArray())[..6] };
            await truncated.PublishAsync(channel, harness.Queue);
            var good = CeleryMessage.ProcessResult(6, """{"error": "x", "image_id": "1"}""", "reply");
            await good.PublishAsync(channel, harness.Queue);

            await handler.WaitForAsync(h => h.Handled.Count == 1 && h.Rejected.Count == 2);
            await harness.StopAsync();

            var forwarded = await channel.BasicGetAsync(harness.Queue + "_unhandled", autoAck: true);
            Assert.NotNull(forwarded);
            Assert.Equal(unknown.Body, forwarded.Body.ToArray());
            Assert.Equal(unknown.TaskId, forwarded.BasicProperties.CorrelationId);
            Assert.Equal("application/json", forwarded.BasicProperties.ContentType);
            Assert.Equal(unknown.Headers.Keys.Order(), forwarded.BasicProperties.Headers!.Keys.Order());
            Assert.Equal("ami.main.tasks.regroup_events", Encoding.UTF8.GetString((byte[])forwarded.BasicProperties.Headers!["task"]!));

            var reasons = new List<string>();
            for (var i = 0; i < 2; i++)
            {
                var rejected = await channel.BasicGetAsync(harness.Queue + "_rejected", autoAck: true);
                Assert.NotNull(rejected);
                reasons.Add(Encoding.UTF8.GetString((byte[])rejected.BasicProperties.Headers!["x-rejected-reason"]!));
            }

            Assert.Contains(reasons, r => r.Contains("job_id", StringComparison.Ordinal));
            Assert.Contains(reasons, r => r.Contains("zlib", StringComparison.Ordinal) || r.Contains("invalid JSON", StringComparison.Ordinal));
            Assert.Equal(0u, (await channel.QueueDeclarePassiveAsync(harness.Queue)).MessageCount);
            await DeleteQueuesAsync(channel, harness.Queue);
        }
    }

    [Fact]
    public async Task A_message_is_acked_only_after_its_task_completes_and_comes_back_after_a_crash()
    {
        var queue = $"test_ack_{Guid.NewGuid():N}";
        var blocked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var crashing = new IntakeHarness.RecordingHandler
        {
            Before = async (_, cancellationToken) =>
            {
                blocked.TrySetResult();
                await Task.Delay(Timeout.Infinite, cancellationToken);
            },
        };
        var first = await IntakeHarness.StartAsync(crashing, queue);
        var (connection, channel) = await BrokerAsync(queue);
        await using (connection)
        {
            await CeleryMessage.ProcessResult(9, """{"error": "x", "image_id": "1"}""", "reply").PublishAsync(channel, queue);
            await blocked.Task.WaitAsync(TimeSpan.FromSeconds(30));

            // The process dies mid-task: its connection goes away without an ack.
            await first.Intake.DisposeAsync();
            var survivor = new IntakeHarness.RecordingHandler();
            await using (var second = await IntakeHarness.StartAsync(survivor, queue))
            {
                await survivor.WaitForAsync(h => h.Handled.Count == 1);
                Assert.Equal(9, Assert.IsType<ProcessPipelineResultTask>(survivor.Handled.Single()).JobId);
            }

            Assert.Empty(crashing.Handled);
            Assert.Equal(0u, (await channel.QueueDeclarePassiveAsync(queue)).MessageCount);
            await DeleteQueuesAsync(channel, queue);
        }
    }

    [Fact]
    public async Task Transient_failures_are_retried_and_then_given_up_with_the_message_consumed()
    {
        var attempts = 0;
        var handler = new IntakeHarness.RecordingHandler
        {
            Before = (_, _) =>
            {
                Interlocked.Increment(ref attempts);
                throw new DependencyUnavailableException("redis", "connection reset by peer");
            },
        };
        await using var harness = await IntakeHarness.StartAsync(handler, extra: new() { ["INGEST_MAX_RETRIES"] = "2" });
        var (connection, channel) = await BrokerAsync(harness.Queue);
        await using (connection)
        {
            await CeleryMessage.ProcessResult(9, """{"error": "x", "image_id": "1"}""", "reply").PublishAsync(channel, harness.Queue);

            await handler.WaitForAsync(h => h.Exhausted.Count == 1, seconds: 60);
            Assert.Equal(3, attempts);
            Assert.Equal(2, harness.Metrics.Retries.Value("redis"));
            await harness.StopAsync();
            Assert.Equal(0u, (await channel.QueueDeclarePassiveAsync(harness.Queue)).MessageCount);
            await DeleteQueuesAsync(channel, harness.Queue);
        }
    }
}
