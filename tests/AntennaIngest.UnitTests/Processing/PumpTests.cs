using System.Collections.Concurrent;
using AntennaIngest.Core.Configuration;
using AntennaIngest.Core.Contracts;
using AntennaIngest.Core.Decoding;
using AntennaIngest.Core.Intake;
using AntennaIngest.Core.Metrics;
using AntennaIngest.Core.Processing;
using AntennaIngest.UnitTests.Decoding;
using Microsoft.Extensions.Logging.Abstractions;

namespace AntennaIngest.UnitTests.Processing;

/// <summary>Settlement rules of the pump, with an in-memory message and handler.</summary>
public sealed class PumpTests
{
    private static readonly ProcessingSettings s_settings = new SettingsReader(new Dictionary<string, string?>
    {
        ["INGEST_MAX_IN_FLIGHT"] = "8",
        ["INGEST_MAX_RETRIES"] = "2",
        ["INGEST_SHUTDOWN_TIMEOUT"] = "2",
    }).Read().Processing;

    private static readonly NatsSettings s_nats = new SettingsReader(new Dictionary<string, string?>()).Read().Nats;

    [Fact]
    public void Retry_delays_follow_celerys_full_jitter_schedule()
    {
        for (var attempt = 0; attempt < 8; attempt++)
        {
            var bound = Math.Min(15, Math.Pow(2, attempt));
            var delays = Enumerable.Range(0, 200).Select(_ => MessagePump.RetryDelay(attempt).TotalSeconds).ToList();
            Assert.All(delays, d => Assert.InRange(d, 0, bound));
            Assert.True(delays.Max() > bound / 2, "full jitter covers the range");
        }
    }

    [Fact]
    public async Task A_handled_task_is_acked_and_a_poison_message_rejected_without_holding_up_others()
    {
        var handler = new ScriptedHandler();
        await using var run = await PumpRun.StartAsync(handler);

        var good = run.Add(FakeMessage.Celery(Messages.ProcessKwargs(Messages.Success())));
        var poison = run.Add(FakeMessage.Celery("not json"u8.ToArray()));
        var unhandled = run.Add(FakeMessage.Celery(Messages.CeleryBody("{}"), task: "ami.tasks.other"));
        var expired = run.Add(FakeMessage.Celery(Messages.ProcessKwargs(Messages.Success()), expires: DateTimeOffset.UtcNow.AddMinutes(-1)));
        await run.SettledAsync(good, poison, unhandled, expired);

        Assert.Equal("ack", good.Settlement);
        Assert.Equal("reject", poison.Settlement);
        Assert.StartsWith("invalid JSON", poison.Reason, StringComparison.Ordinal);
        Assert.Equal("forward", unhandled.Settlement);
        Assert.Equal("ack", expired.Settlement);
        Assert.Single(handler.Handled);
        Assert.Single(handler.Rejected);
        Assert.True(good.Disposed && poison.Disposed);
    }

    [Fact]
    public async Task Transient_failures_are_retried_in_process_then_given_up_like_celery()
    {
        var handler = new ScriptedHandler { FailuresBeforeSuccess = 100 };
        await using var run = await PumpRun.StartAsync(handler);

        var message = run.Add(FakeMessage.Celery(Messages.ProcessKwargs(Messages.Success())));
        await run.SettledAsync(message);

        Assert.Equal(3, handler.Attempts); // first try + INGEST_MAX_RETRIES
        Assert.Equal("ack", message.Settlement); // Celery's FAILURE: the message is consumed
        Assert.Single(handler.Exhausted);
        Assert.Equal(2, run.Metrics.Retries.Value("redis"));
    }

    [Fact]
    public async Task Waiting_out_a_dependency_outage_uses_no_retries()
    {
        // Redis "down" for longer than the whole retry budget could last (2 retries: at most 3 s).
        var probe = new SwitchableProbe { Down = true };
        var handler = new ScriptedHandler { FailuresBeforeSuccess = 100, FailWhile = () => probe.Down };
        await using var run = await PumpRun.StartAsync(handler, probe: probe);

        var message = run.Add(FakeMessage.Celery(Messages.ProcessKwargs(Messages.Success())));
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.Null(message.Settlement);
        Assert.True(probe.Calls >= 3, $"the gate keeps probing ({probe.Calls} probes)");
        probe.Down = false;
        await run.SettledAsync(message);

        Assert.Equal("ack", message.Settlement);
        Assert.Single(handler.Handled);
        Assert.Empty(handler.Exhausted);
        Assert.Equal(0, run.Metrics.Retries.Value("redis"));
    }

    [Fact]
    public async Task A_task_that_recovers_within_its_retries_succeeds()
    {
        var handler = new ScriptedHandler { FailuresBeforeSuccess = 1 };
        await using var run = await PumpRun.StartAsync(handler);

        var message = run.Add(FakeMessage.Celery(Messages.ProcessKwargs(Messages.Success())));
        await run.SettledAsync(message);

        Assert.Equal("ack", message.Settlement);
        Assert.Equal(2, handler.Attempts);
        Assert.Empty(handler.Exhausted);
    }

    [Fact]
    public async Task Jetstream_messages_are_nakked_with_a_delay_and_terminated_when_out_of_deliveries()
    {
        var handler = new ScriptedHandler { FailuresBeforeSuccess = 100 };
        await using var run = await PumpRun.StartAsync(handler);

        var first = run.Add(FakeMessage.JetStream(priorAttempts: 0));
        var last = run.Add(FakeMessage.JetStream(priorAttempts: 2));
        await run.SettledAsync(first, last);

        Assert.Equal("nak", first.Settlement);
        Assert.InRange(first.Delay!.Value.TotalSeconds, 0, 1);
        Assert.Equal("reject", last.Settlement);
        Assert.StartsWith("retries exhausted", last.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_future_eta_delays_only_its_own_message()
    {
        var handler = new ScriptedHandler();
        await using var run = await PumpRun.StartAsync(handler);

        var later = run.Add(FakeMessage.Celery(Messages.ProcessKwargs(Messages.Success()), eta: DateTimeOffset.UtcNow.AddSeconds(1.5)));
        var now = run.Add(FakeMessage.Celery(Messages.ProcessKwargs(Messages.Success())));
        await run.SettledAsync(now);
        Assert.Null(later.Settlement);

        await run.SettledAsync(later);
        Assert.Equal("ack", later.Settlement);
    }

    [Fact]
    public async Task Shutdown_hands_back_what_did_not_finish_in_time_including_waiting_messages()
    {
        var handler = new ScriptedHandler { Block = true };
        var run = await PumpRun.StartAsync(handler, maxInFlight: 1);
        var running = run.Add(FakeMessage.Celery(Messages.ProcessKwargs(Messages.Success())));
        var waiting = run.Add(FakeMessage.Celery(Messages.ProcessKwargs(Messages.Success())));
        await handler.Started.Task;

        await run.DisposeAsync();

        Assert.Equal("hand_back", running.Settlement);
        Assert.Equal("hand_back", waiting.Settlement);
    }

    [Fact]
    public async Task The_stall_alarm_rises_when_nothing_settles_for_the_configured_time_and_clears_after()
    {
        var handler = new ScriptedHandler { BlockAfter = 1 };
        await using var run = await PumpRun.StartAsync(handler, stallAfter: TimeSpan.FromSeconds(2));
        var first = run.Add(FakeMessage.Celery(Messages.ProcessKwargs(Messages.Success())));
        await run.SettledAsync(first);
        Assert.Equal(0, run.Metrics.Stalled.Value());

        // One task now hangs. The alarm is due 2 s later; the progress line (every 10 s) must not delay it.
        run.Add(FakeMessage.Celery(Messages.ProcessKwargs(Messages.Success())));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (run.Metrics.Stalled.Value() < 1 && clock.Elapsed < TimeSpan.FromSeconds(8))
        {
            await Task.Delay(100);
        }

        Assert.Equal(1, run.Metrics.Stalled.Value());
        Assert.InRange(clock.Elapsed.TotalSeconds, 1.5, 8);
    }

    private sealed class PumpRun : IAsyncDisposable
    {
        private readonly MessagePump _pump;
        private bool _stopped;

        private PumpRun(ITaskHandler handler, int maxInFlight, TimeSpan? stallAfter, IDependencyProbe? probe)
        {
            Queue = new IngestQueue(8);
            Metrics = new IngestMetrics(new MetricsRegistry());
            var settings = s_settings with { MaxInFlight = maxInFlight, StallAfter = stallAfter ?? s_settings.StallAfter };
            _pump = new MessagePump(Queue, handler, settings, s_nats, Metrics, NullLogger<MessagePump>.Instance, probe);
        }

        public IngestQueue Queue { get; }

        public IngestMetrics Metrics { get; }

        public static async Task<PumpRun> StartAsync(ITaskHandler handler, int maxInFlight = 8, TimeSpan? stallAfter = null, IDependencyProbe? probe = null)
        {
            var run = new PumpRun(handler, maxInFlight, stallAfter, probe);
            await run._pump.StartAsync(CancellationToken.None);
            return run;
        }

        public FakeMessage Add(FakeMessage message)
        {
            Assert.True(Queue.Reader.Count < Queue.Capacity);
            Queue.EnqueueAsync(message, CancellationToken.None).AsTask().GetAwaiter().GetResult();
            return message;
        }

        public async Task SettledAsync(params FakeMessage[] messages) =>
            await Task.WhenAll(messages.Select(m => m.Settled.Task)).WaitAsync(TimeSpan.FromSeconds(30));

        public async ValueTask DisposeAsync()
        {
            if (!_stopped)
            {
                _stopped = true;
                await _pump.StopAsync(CancellationToken.None);
                _pump.Dispose();
            }
        }
    }

    private sealed class SwitchableProbe : IDependencyProbe
    {
        private int _calls;

        public volatile bool Down;

        public int Calls => _calls;

        public ValueTask<bool> IsAvailableAsync(string dependency, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            return ValueTask.FromResult(!Down);
        }
    }

    private sealed class ScriptedHandler : ITaskHandler
    {
        private int _attempts;

        public int FailuresBeforeSuccess { get; init; }

        public bool Block { get; init; }

        /// <summary>Failures happen only while this holds (default: always).</summary>
        public Func<bool> FailWhile { get; init; } = () => true;

        /// <summary>Calls after this many block like <see cref="Block"/>.</summary>
        public int BlockAfter { get; init; } = int.MaxValue;

        private int _calls;

        public int Attempts => _attempts;

        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ConcurrentBag<IngestTask> Handled { get; } = [];

        public ConcurrentBag<RejectedMessage> Rejected { get; } = [];

        public ConcurrentBag<IngestTask> Exhausted { get; } = [];

        public async ValueTask<TaskOutcome> HandleAsync(IngestTask task, InboundMessage message, CancellationToken cancellationToken)
        {
            Started.TrySetResult();
            if (Block || Interlocked.Increment(ref _calls) > BlockAfter)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            if (Interlocked.Increment(ref _attempts) <= FailuresBeforeSuccess && FailWhile())
            {
                throw new DependencyUnavailableException("redis", "connection reset");
            }

            Handled.Add(task);
            return "saved";
        }

        public ValueTask OnRetriesExhaustedAsync(IngestTask task, Exception lastError, CancellationToken cancellationToken)
        {
            Exhausted.Add(task);
            return ValueTask.CompletedTask;
        }

        public ValueTask OnRejectedAsync(RejectedMessage rejection, CancellationToken cancellationToken)
        {
            Rejected.Add(rejection);
            return ValueTask.CompletedTask;
        }
    }

    private sealed class FakeMessage(string intake, MessageMetadata metadata, byte[] body, int priorAttempts) : InboundMessage
    {
        public TaskCompletionSource Settled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string? Settlement { get; private set; }

        public string? Reason { get; private set; }

        public TimeSpan? Delay { get; private set; }

        public bool Disposed { get; private set; }

        public override string Intake => intake;

        public override MessageMetadata Metadata => metadata;

        public override ReadOnlyMemory<byte> Body => body;

        public override int PriorAttempts => priorAttempts;

        public static FakeMessage Celery(byte[] body, string task = TaskDecoder.ProcessResultTask, DateTimeOffset? eta = null, DateTimeOffset? expires = null) =>
            new("celery", new MessageMetadata(task, "id", null, eta, expires, "application/json"), body, 0);

        public static FakeMessage JetStream(int priorAttempts) =>
            new("jetstream", MessageMetadata.None, System.Text.Encoding.UTF8.GetBytes($$"""{"job_id": 1, "reply_subject": "r", "result": {{Messages.Success()}}}"""), priorAttempts);

        public override ValueTask AckAsync(CancellationToken cancellationToken) => Settle("ack");

        public override ValueTask<bool> TryRedeliverLaterAsync(TimeSpan delay, CancellationToken cancellationToken)
        {
            if (Intake != "jetstream")
            {
                return ValueTask.FromResult(false);
            }

            Delay = delay;
            Record("nak");
            return ValueTask.FromResult(true);
        }

        public override ValueTask RejectAsync(string reason, CancellationToken cancellationToken)
        {
            Reason = reason;
            return Settle("reject");
        }

        public override ValueTask ForwardUnhandledAsync(CancellationToken cancellationToken) => Settle("forward");

        public override ValueTask HandBackAsync() => Settle("hand_back");

        protected override void Dispose(bool disposing)
        {
            Disposed = true;
            base.Dispose(disposing);
        }

        private ValueTask Settle(string how)
        {
            Record(how);
            return ValueTask.CompletedTask;
        }

        private void Record(string how)
        {
            Assert.Null(Settlement); // exactly once
            Settlement = how;
            Settled.TrySetResult();
        }
    }
}
