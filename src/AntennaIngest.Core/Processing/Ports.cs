using AntennaIngest.Core.Contracts;

namespace AntennaIngest.Core.Processing;

// The processing core talks to the outside through these ports; each adapter project implements
// the ones for its system. They are deliberately few and coarse: one call per effect.

/// <summary>Antenna's AsyncJobStateManager keys in Redis.</summary>
public interface IJobStateStore
{
    /// <summary>SREM processed from pending:process, SADD failed; null when the job's state is gone.</summary>
    ValueTask<JobStateSnapshot?> UpdateProcessStageAsync(long jobId, IReadOnlyList<string> processedIds, IReadOnlyList<string> failedIds, CancellationToken cancellationToken);

    /// <summary>
    /// SREM from pending:results and, only if that removed ids, add <paramref name="counts"/> to the
    /// counters (created from <paramref name="seed"/>, the job JSON's values, when missing); null
    /// when the state is gone.
    /// </summary>
    ValueTask<JobStateSnapshot?> UpdateResultsStageAsync(long jobId, IReadOnlyList<string> processedIds, ResultCounts counts, ResultCounts seed, CancellationToken cancellationToken);

    /// <summary>A result that can never be saved: its images count as processed and failed in both stages.</summary>
    ValueTask<JobStateSnapshot?> MarkFailedAsync(long jobId, IReadOnlyList<string> imageIds, CancellationToken cancellationToken);

    /// <summary>DEL of the job's keys (idempotent).</summary>
    ValueTask CleanupAsync(long jobId, CancellationToken cancellationToken);
}

/// <summary>A job row as the result path needs it.</summary>
/// <param name="StoredCounts">The results-stage params currently in progress JSON (seed for a job Celery started).</param>
/// <param name="StartedAtUtc">jobs_job.started_at (set by every run of the job), for the throughput line.</param>
public sealed record JobInfo(long Id, string Status, long ProjectId, long? PipelineId, string DispatchMode, ResultCounts StoredCounts, DateTime? StartedAtUtc = null)
{
    public static readonly string[] FinalStates = ["SUCCESS", "FAILURE", "REVOKED"];

    public bool IsFinalOrCanceling => Status == "CANCELING" || Array.IndexOf(FinalStates, Status) >= 0;
}

/// <summary>jobs_job reads and the guarded status changes.</summary>
public interface IJobStore
{
    /// <summary>The job, or null when the row does not exist. May be served from a cache of about a second.</summary>
    ValueTask<JobInfo?> GetAsync(long jobId, CancellationToken cancellationToken);

    /// <summary>Antenna's _fail_job: FAILURE unless CANCELING or final; returns true when the status changed.</summary>
    ValueTask<bool> FailJobAsync(long jobId, string reason, CancellationToken cancellationToken);
}

/// <summary>Outcome of writing the job's progress.</summary>
/// <param name="Completed">Every stage finished and the guarded terminal UPDATE changed the job's status.</param>
/// <param name="FinalStatus">The status the job ended in, when it did.</param>
/// <param name="AllStagesComplete">
/// Every stage is at 100 % with a final status, whatever the job's status: Antenna cleans up the
/// job's NATS and Redis resources then, also for a job already cancelled or final.
/// </param>
/// <param name="StagesSummary">The stages as Antenna's completion line lists them (empty when unknown).</param>
public readonly record struct ProgressWrite(bool Completed, string? FinalStatus, bool AllStagesComplete = false, string StagesSummary = "");

/// <summary>jobs_job.progress, coalesced: at most one write per job per interval.</summary>
public interface IProgressSink
{
    /// <summary>Remembers the snapshot; it reaches the row within the coalescing interval.</summary>
    void Record(long jobId, JobStateSnapshot snapshot);

    /// <summary>Writes what is pending for the job now (used when a result may complete the job).</summary>
    ValueTask<ProgressWrite> FlushAsync(long jobId, CancellationToken cancellationToken);
}

public enum JobLogLevel
{
    Info,
    Warning,
    Error,
}

/// <summary>One line of a job's log (jobs_joblog), as the job view shows it.</summary>
public readonly record struct JobLogLine(JobLogLevel Level, string Message);

/// <summary>Buffered job log rows, written in multi-row INSERTs.</summary>
public interface IJobLog
{
    void Append(long jobId, JobLogLevel level, string message);

    /// <summary>Writes everything buffered so far.</summary>
    ValueTask FlushAsync(CancellationToken cancellationToken);
}

public sealed record SaveRequest(long? JobId, PipelineResultsResponse Results);

/// <summary>What one saved result changed.</summary>
public sealed record SaveSummary(
    int DetectionsCreated,
    int DetectionsUpdated,
    int NullMarkersCreated,
    int ClassificationsCreated,
    int ClassificationsUpdated,
    int OccurrencesCreated,
    int DeterminationsUpdated,
    int TaxaCreated,
    IReadOnlyList<long> ImageIds,
    IReadOnlyList<string> MissingImageIds,
    IReadOnlyList<long> EventIds,
    IReadOnlyList<long> DeploymentIds,
    IReadOnlyList<long> ImagesNeedingCrops,
    IReadOnlyList<JobLogLine> LogLines,
    Guid CropRequestId = default)
{
    public static SaveSummary Empty { get; } = new(0, 0, 0, 0, 0, 0, 0, 0, [], [], [], [], [], []);
}

/// <summary>Saved (all rows committed), or a failure that can never succeed with its reason (nothing written).</summary>
public sealed record SaveOutcome(SaveSummary? Summary, string? FailureReason)
{
    public bool Saved => Summary is not null;

    public static SaveOutcome Success(SaveSummary summary) => new(summary, null);

    public static SaveOutcome Failure(string reason) => new(null, reason);
}

/// <summary>
/// Antenna's save_results in a few set-based round trips, many results per transaction.
/// Transient failures throw <see cref="DependencyUnavailableException"/>.
/// </summary>
public interface IResultSaver
{
    ValueTask<SaveOutcome> SaveAsync(SaveRequest request, CancellationToken cancellationToken);
}

public enum AckResult
{
    /// <summary>JetStream answered the ack.</summary>
    Confirmed,

    /// <summary>Sent and flushed, but the server gave no answer (older servers, core subjects).</summary>
    Unconfirmed,

    /// <summary>Nobody answers on the subject: the job's consumer or stream no longer exists.</summary>
    ConsumerGone,
}

/// <summary>Acks on the image task's JetStream reply subject, on the process's one NATS connection.</summary>
public interface ITaskAcknowledger
{
    /// <summary>+ACK: the image is done.</summary>
    ValueTask<AckResult> AckAsync(string replySubject, CancellationToken cancellationToken);

    /// <summary>+TERM: the image's result can never be saved; do not redeliver it.</summary>
    ValueTask<AckResult> TerminateAsync(string replySubject, string reason, CancellationToken cancellationToken);
}

/// <summary>Antenna's cleanup_async_job_resources: Redis keys, then the job's NATS consumer, stream and DLQ consumer.</summary>
public interface IJobResourceCleaner
{
    ValueTask CleanupAsync(long jobId, CancellationToken cancellationToken);
}

/// <summary>What deleting a job's NATS resources did; errors as Antenna's log words them.</summary>
/// <param name="ConsumerStats">The consumer's statistics before deletion, or null when they could not be read.</param>
/// <param name="ConsumerError">Null when the consumer was deleted.</param>
/// <param name="StreamError">Null when the stream was deleted.</param>
/// <param name="DeadLetterDeleted">The DLQ consumer is gone (deleted, or never existed).</param>
public sealed record TaskQueueDeletion(string? ConsumerStats, string? ConsumerError, string? StreamError, bool DeadLetterDeleted)
{
    public bool Complete => ConsumerError is null && StreamError is null && DeadLetterDeleted;
}

/// <summary>A job's task queue in NATS JetStream (Antenna's TaskQueueManager resources for one job).</summary>
public interface IJobTaskQueue
{
    /// <summary>Deletes the job's consumer, task stream and DLQ consumer; never throws.</summary>
    ValueTask<TaskQueueDeletion> DeleteAsync(long jobId, CancellationToken cancellationToken);
}

/// <summary>
/// Durable bookkeeping right after a commit: events and deployments whose counts must be
/// recomputed, and source images whose detections need crops. Survives a restart.
/// </summary>
public interface IPostCommitQueue
{
    ValueTask MarkAsync(long? jobId, IReadOnlyList<long> eventIds, IReadOnlyList<long> deploymentIds, IReadOnlyList<long> cropImageIds, CancellationToken cancellationToken);
}

/// <summary>
/// Antenna's create_detection_images: crop the detections of these images that have no path.
/// Scheduling is durable (the request survives a restart); the crops happen later, off the
/// result path, on the crop pool.
/// </summary>
public interface ICropScheduler
{
    ValueTask ScheduleAsync(IReadOnlyList<long> imageIds, long? jobId, CancellationToken cancellationToken);
}

/// <summary>A dependency failed in a way that may pass (connection reset, timeout, pool exhausted).</summary>
public sealed class DependencyUnavailableException(string dependency, string message, Exception? innerException = null)
    : Exception($"{dependency}: {message}", innerException)
{
    public string Dependency { get; } = dependency;
}

public enum DirtyKind
{
    Events,
    Deployments,
}

/// <summary>Ids whose calculated counts are stale, taken at <see cref="Fence"/> (server time, µs).</summary>
public sealed record DirtyBatch(DirtyKind Kind, double Fence, IReadOnlyList<long> Ids);

/// <summary>The durable set of events and deployments to recount (filled by <see cref="IPostCommitQueue"/>).</summary>
public interface IDirtyCountSource
{
    ValueTask<DirtyBatch> TakeAsync(DirtyKind kind, int limit, CancellationToken cancellationToken);

    /// <summary>Clears the batch's ids unless they were marked again after it was taken.</summary>
    ValueTask CompleteAsync(DirtyBatch batch, CancellationToken cancellationToken);
}

/// <summary>Antenna's calculated fields of events and deployments, recomputed set-based for given ids.</summary>
public interface ICalculatedCounts
{
    ValueTask RefreshEventsAsync(IReadOnlyList<long> eventIds, CancellationToken cancellationToken);

    ValueTask RefreshDeploymentsAsync(IReadOnlyList<long> deploymentIds, CancellationToken cancellationToken);
}

/// <summary>
/// Celery's result backend (CELERY_RESULT_BACKEND): where AsyncResult(id).ready()/get() finds a
/// task's final state. Stored after the task's effects are durable and before its message is
/// acked; a replay stores the same again. Transient failures throw <see cref="DependencyUnavailableException"/>.
/// </summary>
public interface ICeleryResultBackend
{
    ValueTask StoreAsync(Celery.CeleryCall task, Celery.CeleryState state, Celery.CeleryError? failure, CancellationToken cancellationToken);
}

/// <summary>
/// Celery events (the celeryev exchange) for monitors such as Flower. Never blocks and never
/// throws: an event that cannot be sent now is dropped (and counted).
/// </summary>
public interface ICeleryEventSink
{
    /// <summary>Queues the event; false when it was dropped.</summary>
    bool TryPublish(string type, byte[] body);
}

/// <summary>
/// Readers that cache query results per table must learn which tables a commit changed: Antenna
/// runs django-cachalot, whose cached queries stay valid until a table they read is invalidated,
/// and every Django write does that. Called after each commit that wrote rows, before the
/// results it carried are acked. Transient failures throw <see cref="DependencyUnavailableException"/>.
/// </summary>
public interface ITableChangeNotifier
{
    ValueTask TablesChangedAsync(IReadOnlyCollection<string> tables, CancellationToken cancellationToken);
}

/// <summary>For a deployment whose Django runs no per-table query cache (INGEST_CACHALOT=false).</summary>
public sealed class NoTableChangeNotifier : ITableChangeNotifier
{
    public static readonly NoTableChangeNotifier Instance = new();

    public ValueTask TablesChangedAsync(IReadOnlyCollection<string> tables, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
