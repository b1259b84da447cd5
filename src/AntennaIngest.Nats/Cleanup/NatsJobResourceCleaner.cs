using AntennaIngest.Core.Processing;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace AntennaIngest.Nats.Cleanup;

/// <summary>
/// Antenna's cleanup_async_job_resources: the job's Redis keys, then its NATS consumer, task
/// stream and DLQ consumer on the advisories stream. "Not found" counts as done; failures are
/// logged to the job and never raised (the resources expire on their own: 7-day keys, 24-hour
/// stream). Called after the completing result was acked.
/// </summary>
public sealed class NatsJobResourceCleaner(NatsConnection connection, IJobStateStore jobState, IJobLog jobLog) : IJobResourceCleaner
{
    private readonly NatsJSContext _js = new(connection);

    public async ValueTask CleanupAsync(long jobId, CancellationToken cancellationToken)
    {
        try
        {
            await jobState.CleanupAsync(jobId, cancellationToken);
            jobLog.Append(jobId, JobLogLevel.Info, $"Cleaned up Redis state for job {jobId}");
        }
        catch (DependencyUnavailableException e)
        {
            jobLog.Append(jobId, JobLogLevel.Warning, $"Could not clean up Redis state for job {jobId}: {e.Message}");
        }

        var stream = $"job_{jobId}";
        var consumer = $"job-{jobId}-consumer";
        if (await TryAsync(jobId, $"delete NATS consumer {consumer}", () => _js.DeleteConsumerAsync(stream, consumer, cancellationToken)))
        {
            jobLog.Append(jobId, JobLogLevel.Info, $"Deleted NATS consumer {consumer} for job {jobId}");
        }

        if (await TryAsync(jobId, $"delete NATS stream {stream}", () => _js.DeleteStreamAsync(stream, cancellationToken)))
        {
            jobLog.Append(jobId, JobLogLevel.Info, $"Deleted NATS stream {stream} for job {jobId}");
        }

        await TryAsync(jobId, $"delete NATS consumer job-{jobId}-dlq", () => _js.DeleteConsumerAsync("advisories", $"job-{jobId}-dlq", cancellationToken));
        jobLog.Append(jobId, JobLogLevel.Info, $"Cleaned up NATS resources for job {jobId}");
    }

    private async Task<bool> TryAsync(long jobId, string what, Func<ValueTask<bool>> operation)
    {
        try
        {
            return await operation();
        }
        catch (NatsJSApiException e) when (e.Error.Code == 404)
        {
            return false;
        }
        catch (Exception e) when (e is NatsException or TimeoutException or OperationCanceledException)
        {
            jobLog.Append(jobId, JobLogLevel.Warning, $"Could not {what}: {e.Message}");
            return false;
        }
    }
}
