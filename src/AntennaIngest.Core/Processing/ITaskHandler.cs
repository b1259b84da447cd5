using AntennaIngest.Core.Contracts;
using AntennaIngest.Core.Decoding;
using AntennaIngest.Core.Intake;

namespace AntennaIngest.Core.Processing;

/// <summary>
/// Runs decoded tasks for the pump. A completed task returns its outcome (the label used in metrics
/// and logs: "saved", "error_result", "state_missing", ..., and a reason when it failed for good); a transient dependency failure
/// throws <see cref="DependencyUnavailableException"/> and the pump retries on Celery's schedule.
/// </summary>
public interface ITaskHandler
{
    ValueTask<TaskOutcome> HandleAsync(IngestTask task, InboundMessage message, CancellationToken cancellationToken);

    /// <summary>Retries are exhausted: record it where the user looks (the job's log), as Celery's FAILURE would.</summary>
    ValueTask OnRetriesExhaustedAsync(IngestTask task, Exception lastError, CancellationToken cancellationToken);

    /// <summary>A message was rejected by the decoder: tell the job, when it is known.</summary>
    ValueTask OnRejectedAsync(RejectedMessage rejection, CancellationToken cancellationToken);
}
