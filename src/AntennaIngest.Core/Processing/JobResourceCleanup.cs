namespace AntennaIngest.Core.Processing;

/// <summary>
/// Antenna's cleanup_async_job_resources, orchestrated here so each adapter only deletes what it
/// owns: the job's Redis keys, then its NATS task queue, with the job-log lines Antenna writes
/// (ami/ml/orchestration/jobs.py and nats_queue.py). Never throws: what is left expires on its own.
/// </summary>
public sealed class JobResourceCleanup(IJobStateStore jobState, IJobTaskQueue taskQueue, IJobLog jobLog) : IJobResourceCleaner
{
    public async ValueTask CleanupAsync(long jobId, CancellationToken cancellationToken)
    {
        try
        {
            await jobState.CleanupAsync(jobId, cancellationToken);
            jobLog.Append(jobId, JobLogLevel.Info, $"Cleaned up Redis state for job {jobId}");
        }
        catch (DependencyUnavailableException e)
        {
            jobLog.Append(jobId, JobLogLevel.Error, $"Error cleaning up Redis state for job {jobId}: {e.Message}");
        }

        var consumer = $"job-{jobId}-consumer";
        var deletion = await taskQueue.DeleteAsync(jobId, cancellationToken);
        if (deletion.ConsumerStats is { } stats)
        {
            jobLog.Append(jobId, JobLogLevel.Info, $"Finalizing NATS consumer {consumer} before deletion ({stats})");
        }

        jobLog.Append(jobId, deletion.ConsumerError is null ? JobLogLevel.Info : JobLogLevel.Error, deletion.ConsumerError is null
            ? $"Deleted NATS consumer {consumer} for job '{jobId}'"
            : $"Failed to delete NATS consumer for job '{jobId}': {deletion.ConsumerError}");
        jobLog.Append(jobId, deletion.StreamError is null ? JobLogLevel.Info : JobLogLevel.Error, deletion.StreamError is null
            ? $"Deleted NATS stream job_{jobId} for job '{jobId}'"
            : $"Failed to delete NATS stream for job '{jobId}': {deletion.StreamError}");
        jobLog.Append(jobId, deletion.Complete ? JobLogLevel.Info : JobLogLevel.Warning, deletion.Complete
            ? $"Cleaned up NATS resources for job {jobId}"
            : $"Failed to clean up NATS resources for job {jobId}");
    }
}
