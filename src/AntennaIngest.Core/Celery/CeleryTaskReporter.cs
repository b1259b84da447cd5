using AntennaIngest.Core.Processing;

namespace AntennaIngest.Core.Celery;

/// <summary>
/// What a Celery worker tells the outside about each task it runs: events while it runs
/// (task-received, task-started, then task-succeeded or task-failed) and the final state in the
/// result backend, so Antenna's AsyncResult polling and Flower see this binary as a worker.
/// Either part may be absent (no backend configured, events switched off).
/// </summary>
public sealed class CeleryTaskReporter(
    ICeleryResultBackend? backend,
    ICeleryEventSink? events,
    CeleryEventJson? eventJson,
    CeleryWorkerStats stats,
    TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>The task is about to run (the first attempt of this delivery).</summary>
    public void Started(CeleryCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        stats.Started();
        Publish("task-received", json => json.TaskReceived(call, _time.GetUtcNow()));
        Publish("task-started", json => json.TaskStarted(call, _time.GetUtcNow()));
    }

    /// <summary>
    /// The task ended without throwing: SUCCESS (result None), or FAILURE when it failed for good.
    /// Throws <see cref="DependencyUnavailableException"/> when the backend cannot store it, so the
    /// pump retries the (idempotent) task rather than ack a task whose client would time out.
    /// </summary>
    public async ValueTask CompletedAsync(CeleryCall call, TaskOutcome outcome, TimeSpan runtime, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        if (outcome.FailureReason is { } reason)
        {
            await FailedAsync(call, CeleryError.Deterministic(reason), cancellationToken);
            return;
        }

        if (backend is not null)
        {
            await backend.StoreAsync(call, CeleryState.Success, null, cancellationToken);
        }

        stats.Finished();
        Publish("task-succeeded", json => json.TaskSucceeded(call, runtime, _time.GetUtcNow()));
    }

    /// <summary>FAILURE with <paramref name="error"/> (retries exhausted, rejected, or unsavable).</summary>
    public async ValueTask FailedAsync(CeleryCall call, CeleryError error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        if (backend is not null)
        {
            await backend.StoreAsync(call, CeleryState.Failure, error, cancellationToken);
        }

        stats.Finished();
        Publish("task-failed", json => json.TaskFailed(call, error, _time.GetUtcNow()));
    }

    /// <summary>Celery's answer to a task past its `expires`: REVOKED, reason "expired".</summary>
    public async ValueTask ExpiredAsync(CeleryCall call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        if (backend is not null)
        {
            await backend.StoreAsync(call, CeleryState.Revoked, CeleryError.Expired, cancellationToken);
        }

        Publish("task-revoked", json => json.TaskRevoked(call, _time.GetUtcNow()));
    }

    private void Publish(string type, Func<CeleryEventJson, byte[]> body)
    {
        if (events is not null && eventJson is not null)
        {
            events.TryPublish(type, body(eventJson));
        }
    }
}
