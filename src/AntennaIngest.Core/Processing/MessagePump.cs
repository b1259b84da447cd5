using System.Diagnostics;
using AntennaIngest.Core.Celery;
using AntennaIngest.Core.Configuration;
using AntennaIngest.Core.Decoding;
using AntennaIngest.Core.Faults;
using AntennaIngest.Core.Intake;
using AntennaIngest.Core.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AntennaIngest.Core.Processing;

/// <summary>
/// Takes messages from the <see cref="IngestQueue"/>, decodes them, runs their task and settles
/// each exactly once (docs/architecture.md, "Intake and settlement"). INGEST_MAX_IN_FLIGHT
/// worker loops; a message waiting for its `eta` or a retry holds only its own loop.
/// Shutdown: intakes stop first and complete the queue; the pump finishes in-flight work within
/// INGEST_SHUTDOWN_TIMEOUT, hands back whatever is left, and returns.
/// </summary>
public sealed partial class MessagePump : IHostedService, IDisposable
{
    private static readonly TimeSpan s_progressLogInterval = TimeSpan.FromSeconds(10);

    private readonly IngestQueue _queue;
    private readonly ITaskHandler _handler;
    private readonly ProcessingSettings _settings;
    private readonly TimeSpan _keepAliveEvery;
    private readonly IngestMetrics _metrics;
    private readonly ILogger<MessagePump> _logger;
    private readonly CancellationTokenSource _draining = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly PumpStatistics _statistics = new();
    private readonly OutageGate? _outages;
    private readonly CeleryTaskReporter? _reporter;
    private Task _workers = Task.CompletedTask;
    private Task _monitor = Task.CompletedTask;

    public MessagePump(IngestQueue queue, ITaskHandler handler, ProcessingSettings settings, NatsSettings nats, IngestMetrics metrics, ILogger<MessagePump> logger, IDependencyProbe? probe = null, CeleryTaskReporter? reporter = null)
    {
        _reporter = reporter;
        ArgumentNullException.ThrowIfNull(nats);
        _outages = probe is null ? null : new OutageGate(probe, logger);
        _queue = queue;
        _handler = handler;
        _settings = settings;
        _keepAliveEvery = nats.TaskTtr / 2;
        _metrics = metrics;
        _logger = logger;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var workers = new Task[_settings.MaxInFlight];
        for (var i = 0; i < workers.Length; i++)
        {
            workers[i] = WorkAsync();
        }

        _workers = Task.WhenAll(workers);
        _monitor = MonitorAsync(_abort.Token);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Intakes were stopped before us (registered after us); make sure nothing more can arrive.
        _queue.Complete();
        await _draining.CancelAsync();
        Log.Draining(_logger, (long)_metrics.InFlight.Value(), _settings.ShutdownTimeout.TotalSeconds);
        if (await Task.WhenAny(_workers, Task.Delay(_settings.ShutdownTimeout, CancellationToken.None)) != _workers)
        {
            Log.HandingBack(_logger);
            await _abort.CancelAsync();
        }

        await _workers;
        await _abort.CancelAsync();
        await _monitor;
        Log.Drained(_logger, _statistics.Settled, _statistics.HandedBack);
    }

    public void Dispose()
    {
        _draining.Dispose();
        _abort.Dispose();
    }

    private async Task WorkAsync()
    {
        await Task.Yield(); // each loop runs on the thread pool, never on the starting thread
        while (await WaitToReadAsync())
        {
            while (_queue.Reader.TryRead(out var message))
            {
                if (_abort.IsCancellationRequested)
                {
                    await HandBackAsync(message);
                    continue;
                }

                await ProcessAsync(message);
            }
        }
    }

    private async ValueTask<bool> WaitToReadAsync()
    {
        try
        {
            return await _queue.Reader.WaitToReadAsync(_abort.Token);
        }
        catch (OperationCanceledException)
        {
            // Aborting: give back what is still queued, then stop.
            while (_queue.Reader.TryRead(out var message))
            {
                await HandBackAsync(message);
            }

            return false;
        }
    }

    private async Task ProcessAsync(InboundMessage message)
    {
        _metrics.InFlight.Add(1);
        try
        {
            var started = Stopwatch.GetTimestamp();
            var decoded = Decode(message);
            _metrics.StageSeconds.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds, "decode");
            var call = _reporter is null ? null : CeleryCall.From(message.Metadata, decoded.Arguments, message.PriorAttempts);
            switch (decoded)
            {
                case DecodedTask task:
                    FaultPoints.Hit(FaultPoints.AfterDecode);
                    await RunAsync(message, task.Task, call);
                    break;
                case UnhandledTask unhandled:
                    Log.Forwarding(_logger, unhandled.TaskName);
                    await SettleAsync(message, "unhandled_task", m => m.ForwardUnhandledAsync(_abort.Token));
                    break;
                case ExpiredTask expired:
                    Log.Expired(_logger, expired.TaskName, expired.Expires);
                    await ReportAsync(call, (reporter, c) => reporter.ExpiredAsync(c, _abort.Token));
                    await SettleAsync(message, "expired", m => m.AckAsync(_abort.Token));
                    break;
                case RejectedMessage rejected:
                    Log.Rejected(_logger, message.Intake, rejected.JobId ?? 0, rejected.Describe());
                    _metrics.Rejected.Increment(ReasonLabel(rejected));
                    await _handler.OnRejectedAsync(rejected, _abort.Token);
                    await ReportAsync(call, (reporter, c) => reporter.FailedAsync(c, CeleryError.Deterministic(rejected.Describe()), _abort.Token));
                    await SettleAsync(message, "rejected", m => m.RejectAsync(rejected.Describe(), _abort.Token));
                    break;
            }
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            await HandBackAsync(message);
        }
        finally
        {
            _metrics.InFlight.Add(-1);
            message.Dispose();
        }
    }

    private DecodeResult Decode(InboundMessage message) =>
        message.Intake == "jetstream"
            ? TaskDecoder.DecodeJetStreamResult(message.Body, _settings.MaxMessageBytes)
            : TaskDecoder.DecodeCelery(message.Metadata, message.Body, _settings.MaxMessageBytes, DateTimeOffset.UtcNow);

    private async Task RunAsync(InboundMessage message, Contracts.IngestTask task, CeleryCall? call)
    {
        if (message.Metadata.Eta is { } eta && eta > DateTimeOffset.UtcNow && !await DelayAsync(eta - DateTimeOffset.UtcNow))
        {
            await HandBackAsync(message);
            return;
        }

        var runStarted = Stopwatch.GetTimestamp();
        if (call is not null)
        {
            _reporter!.Started(call);
        }

        var attempt = message.PriorAttempts;
        while (true)
        {
            TaskOutcome outcome;
            try
            {
                using var keepAlive = KeepAlive(message);
                outcome = await _handler.HandleAsync(task, message, _abort.Token);
                if (call is not null)
                {
                    // Inside the retry scope: a result that cannot be stored is retried like any effect.
                    await _reporter!.CompletedAsync(call, outcome, Stopwatch.GetElapsedTime(runStarted), _abort.Token);
                }
            }
            catch (OperationCanceledException) when (_abort.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e)
            {
                var dependency = e is DependencyUnavailableException unavailable ? unavailable.Dependency : "unexpected";
                if (dependency == "unexpected")
                {
                    Log.UnexpectedFailure(_logger, message.Intake, e);
                }

                if (await IsOutageAsync(message, dependency))
                {
                    // The dependency was down and is back: retry now (spread over a second), no retry used.
                    if (!await DelayAsync(RetryDelay(0)))
                    {
                        await HandBackAsync(message);
                        return;
                    }

                    continue;
                }

                if (attempt >= _settings.MaxRetries)
                {
                    Log.RetriesExhausted(_logger, message.Intake, attempt, e.Message);
                    await _handler.OnRetriesExhaustedAsync(task, e, _abort.Token);
                    await ReportAsync(call, (reporter, c) => reporter.FailedAsync(c, ExhaustedError(e), _abort.Token));
                    // As Celery's FAILURE: the task ends; the image's NATS task was not acked and comes back.
                    await SettleAsync(message, "failed", m => m.Intake == "jetstream" ? m.RejectAsync($"retries exhausted: {e.Message}", _abort.Token) : m.AckAsync(_abort.Token));
                    return;
                }

                _metrics.Retries.Increment(dependency);
                var delay = RetryDelay(attempt++);
                Log.Retrying(_logger, dependency, attempt, delay.TotalSeconds, e.Message);
                if (await message.TryRedeliverLaterAsync(delay, _abort.Token))
                {
                    _statistics.Count("redelivered_later");
                    _metrics.Results.Increment(message.Intake, "redelivered_later");
                    return;
                }

                if (!await DelayAsync(delay))
                {
                    await HandBackAsync(message);
                    return;
                }

                continue;
            }

            await SettleAsync(message, outcome.Label, m => m.AckAsync(_abort.Token));
            return;
        }
    }

    private async Task<bool> IsOutageAsync(InboundMessage message, string dependency)
    {
        if (_outages is null || dependency == "unexpected")
        {
            return false;
        }

        try
        {
            using var keepAlive = KeepAlive(message);
            return await _outages.WaitOutAsync(dependency, _draining.Token);
        }
        catch (OperationCanceledException) when (_draining.IsCancellationRequested)
        {
            return false; // shutting down: the retry path's delay hands the message back at once
        }
    }

    /// <summary>Celery's retry_backoff with retry_jitter: uniformly 0..min(15, 2^n) seconds.</summary>
    public static TimeSpan RetryDelay(int attempt) =>
        TimeSpan.FromSeconds(Random.Shared.NextDouble() * Math.Min(15, Math.Pow(2, Math.Min(attempt, 10))));

    private async Task SettleAsync(InboundMessage message, string outcome, Func<InboundMessage, ValueTask> settle)
    {
        try
        {
            await settle(message);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The broker still holds the message and will deliver it again; effects are idempotent.
            Log.SettleFailed(_logger, message.Intake, outcome, e);
            return;
        }

        _statistics.Count(outcome);
        _metrics.Results.Increment(message.Intake, outcome);
        _metrics.StageSeconds.Observe(Stopwatch.GetElapsedTime(message.ReceivedTimestamp).TotalSeconds, "total");
        _metrics.LastCompletion.Set(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0);
    }

    private async Task HandBackAsync(InboundMessage message)
    {
        try
        {
            await message.HandBackAsync();
            _statistics.HandBack();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.SettleFailed(_logger, message.Intake, "hand_back", e);
        }
    }

    /// <summary>Waits unless shutdown begins; false when the wait was cut short.</summary>
    private async Task<bool> DelayAsync(TimeSpan delay)
    {
        try
        {
            await Task.Delay(delay, _draining.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private CancelOnDispose? KeepAlive(InboundMessage message)
    {
        if (message.Intake != "jetstream" || _keepAliveEvery <= TimeSpan.Zero)
        {
            return null;
        }

        var stop = CancellationTokenSource.CreateLinkedTokenSource(_abort.Token);
        _ = KeepAliveLoopAsync(message, stop.Token);
        return new CancelOnDispose(stop);
    }

    private async Task KeepAliveLoopAsync(InboundMessage message, CancellationToken cancellationToken)
    {
        try
        {
            using var timer = new PeriodicTimer(_keepAliveEvery);
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                await message.KeepAliveAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e)
        {
            Log.SettleFailed(_logger, message.Intake, "in_progress", e);
        }
    }

    private async Task MonitorAsync(CancellationToken cancellationToken)
    {
        var lastLog = Stopwatch.GetTimestamp();
        var lastSettled = 0L; // as of the last progress line
        var seenSettled = 0L; // as of the last tick: the stall alarm must not wait for a progress line
        var lastProgress = Stopwatch.GetTimestamp();
        var stalled = false;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var settled = _statistics.Settled;
                var inFlight = (long)_metrics.InFlight.Value();
                if (settled != seenSettled || inFlight == 0)
                {
                    seenSettled = settled;
                    lastProgress = Stopwatch.GetTimestamp();
                    if (stalled)
                    {
                        stalled = false;
                        _metrics.Stalled.Set(0);
                        Log.StallOver(_logger, inFlight);
                    }
                }
                else if (!stalled && Stopwatch.GetElapsedTime(lastProgress) >= _settings.StallAfter)
                {
                    stalled = true;
                    _metrics.Stalled.Set(1);
                    Log.Stalled(_logger, inFlight, _settings.StallAfter.TotalSeconds);
                }

                if (Stopwatch.GetElapsedTime(lastLog) >= s_progressLogInterval && settled != lastSettled)
                {
                    Log.Progress(_logger, settled - lastSettled, Stopwatch.GetElapsedTime(lastLog).TotalSeconds, inFlight, _statistics.Describe());
                    lastLog = Stopwatch.GetTimestamp();
                    lastSettled = settled;
                }
                else if (settled == lastSettled)
                {
                    lastLog = Stopwatch.GetTimestamp();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static string ReasonLabel(RejectedMessage rejected) =>
        rejected.Reason switch
        {
            var r when r.StartsWith("invalid JSON", StringComparison.Ordinal) => "invalid_json",
            var r when r.Contains("INGEST_MAX_MESSAGE_BYTES", StringComparison.Ordinal) => "too_large",
            var r when r.Contains("zlib", StringComparison.Ordinal) || r.StartsWith("compression", StringComparison.Ordinal) => "bad_compression",
            _ when rejected.Field is not null => "invalid_field",
            _ => "invalid_message",
        };

    private sealed class CancelOnDispose(CancellationTokenSource source) : IDisposable
    {
        public void Dispose()
        {
            source.Cancel();
            source.Dispose();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(2000, LogLevel.Information, "forwarding task {Task}, which antenna-ingest does not run, unchanged to the fallback queue")]
        public static partial void Forwarding(ILogger logger, string task);

        [LoggerMessage(2001, LogLevel.Warning, "dropping task {Task}: it expired at {Expires}")]
        public static partial void Expired(ILogger logger, string task, DateTimeOffset expires);

        [LoggerMessage(2002, LogLevel.Error, "rejected a {Intake} message (job {JobId}): {Reason}")]
        public static partial void Rejected(ILogger logger, string intake, long jobId, string reason);

        [LoggerMessage(2003, LogLevel.Error, "unexpected failure processing a {Intake} message; treated as transient")]
        public static partial void UnexpectedFailure(ILogger logger, string intake, Exception exception);

        [LoggerMessage(2004, LogLevel.Warning, "{Dependency} unavailable (retry {Attempt} in {Delay:0.0} s): {Message}")]
        public static partial void Retrying(ILogger logger, string dependency, int attempt, double delay, string message);

        [LoggerMessage(2005, LogLevel.Error, "giving up a {Intake} task after {Attempts} retries: {Message}")]
        public static partial void RetriesExhausted(ILogger logger, string intake, int attempts, string message);

        [LoggerMessage(2006, LogLevel.Warning, "could not settle a {Intake} message ({Outcome}); the broker will deliver it again")]
        public static partial void SettleFailed(ILogger logger, string intake, string outcome, Exception exception);

        [LoggerMessage(2007, LogLevel.Information, "{Count} tasks settled in the last {Seconds:0} s, {InFlight} in flight; totals: {Totals}")]
        public static partial void Progress(ILogger logger, long count, double seconds, long inFlight, string totals);

        [LoggerMessage(2008, LogLevel.Error, "STALLED: {InFlight} tasks in flight and none settled for {Seconds:0} s")]
        public static partial void Stalled(ILogger logger, long inFlight, double seconds);

        [LoggerMessage(2009, LogLevel.Information, "stall over: tasks settle again ({InFlight} in flight)")]
        public static partial void StallOver(ILogger logger, long inFlight);

        [LoggerMessage(2010, LogLevel.Information, "stopping: intake closed, draining {InFlight} in-flight tasks for up to {Seconds:0} s")]
        public static partial void Draining(ILogger logger, long inFlight, double seconds);

        [LoggerMessage(2011, LogLevel.Warning, "shutdown timeout reached: handing unfinished tasks back to the broker")]
        public static partial void HandingBack(ILogger logger);

        [LoggerMessage(2012, LogLevel.Information, "pump stopped: {Settled} tasks settled, {HandedBack} handed back")]
        public static partial void Drained(ILogger logger, long settled, long handedBack);
    }
}
