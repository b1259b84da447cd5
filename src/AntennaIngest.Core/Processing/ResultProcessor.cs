using System.Diagnostics;
using AntennaIngest.Core.Configuration;
using AntennaIngest.Core.Contracts;
using AntennaIngest.Core.Decoding;
using AntennaIngest.Core.Faults;
using AntennaIngest.Core.Intake;
using AntennaIngest.Core.Metrics;
using Microsoft.Extensions.Logging;

namespace AntennaIngest.Core.Processing;

/// <summary>
/// The control flow of Antenna's Celery tasks on `ml_results`, with every branch of
/// process_nats_pipeline_result (docs/architecture.md, "Result control flow"). Each effect is
/// idempotent, so any step may be replayed after a crash or a retry; the image task is acked on
/// NATS only after every effect is durable.
/// </summary>
public sealed partial class ResultProcessor(
    IJobStateStore jobState,
    IJobStore jobs,
    IResultSaver saver,
    IProgressSink progress,
    IJobLog jobLog,
    ITaskAcknowledger acknowledger,
    IJobResourceCleaner cleaner,
    IPostCommitQueue postCommit,
    ICropScheduler crops,
    IngestMetrics metrics,
    ILogger<ResultProcessor> logger,
    DatabaseSettings? settings = null,
    TimeProvider? time = null) : ITaskHandler
{
    public const string StateMissingReason = TaskLogLines.StateMissingReason;

    // Antenna's own job-log lines per result (the default), or only the compact summary lines.
    private readonly bool _antennaLines = (settings?.JobLogStyle ?? JobLogStyle.Antenna) == JobLogStyle.Antenna;
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public async ValueTask<TaskOutcome> HandleAsync(IngestTask task, InboundMessage message, CancellationToken cancellationToken) => task switch
    {
        ProcessPipelineResultTask result => await ProcessResultAsync(result, cancellationToken),
        SaveResultsTask save => await SaveOnlyAsync(save, cancellationToken),
        CreateDetectionImagesTask create => await ScheduleCropsAsync(create, cancellationToken),
        _ => throw new InvalidOperationException($"no handler for {task.GetType().Name}"),
    };

    public ValueTask OnRetriesExhaustedAsync(IngestTask task, Exception lastError, CancellationToken cancellationToken)
    {
        var jobId = task switch
        {
            ProcessPipelineResultTask result => result.JobId,
            SaveResultsTask save => save.JobId,
            _ => null,
        };
        if (jobId is { } id)
        {
            // Antenna's wording: the task is not acked on NATS, so the image comes back.
            jobLog.Append(id, JobLogLevel.Error, TaskLogLines.RetriesExhausted(id, lastError.Message, natsRedelivers: task is ProcessPipelineResultTask));
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask OnRejectedAsync(RejectedMessage rejection, CancellationToken cancellationToken)
    {
        if (rejection.JobId is { } jobId)
        {
            jobLog.Append(jobId, JobLogLevel.Error, $"Rejected a pipeline result for job {jobId} that can never be processed: {rejection.Describe()}");
        }

        return ValueTask.CompletedTask;
    }

    private async ValueTask<TaskOutcome> ProcessResultAsync(ProcessPipelineResultTask task, CancellationToken cancellationToken)
    {
        var jobId = task.JobId;
        var imageIds = task.Result.ImageIds();
        var failedIds = task.Result.IsError ? imageIds : [];

        var started = Stopwatch.GetTimestamp();
        var snapshot = await jobState.UpdateProcessStageAsync(jobId, imageIds, failedIds, cancellationToken);
        Observe("redis_process", started);
        if (snapshot is null)
        {
            return await StateMissingAsync(task, logAck: false, cancellationToken);
        }

        var job = await jobs.GetAsync(jobId, cancellationToken);
        if (job is null)
        {
            Log.JobMissing(logger, jobId);
            await acknowledger.AckAsync(task.ReplySubject, cancellationToken);
            return "job_missing";
        }

        progress.Record(jobId, snapshot);
        LogStage(job, "process", snapshot.ProcessPercentage, snapshot);
        LogAntenna(jobId, JobLogLevel.Info, TaskLogLines.ProcessingResult(jobId, task.ReplySubject));
        LogAntenna(jobId, JobLogLevel.Info, TaskLogLines.ProcessProgress(jobId, snapshot, imageIds.Count));
        var counts = ResultCounts.Zero;
        if (task.Result.Error is { } error)
        {
            jobLog.Append(jobId, JobLogLevel.Error, TaskLogLines.PipelineError(jobId, error.ImageId, error.Error));
        }
        else
        {
            var results = task.Result.Success!;
            started = Stopwatch.GetTimestamp();
            var saved = await saver.SaveAsync(new SaveRequest(jobId, results), cancellationToken);
            Observe("save", started);
            if (!saved.Saved)
            {
                return await RecordUnsavableAsync(task, imageIds, saved.FailureReason!, cancellationToken);
            }

            FaultPoints.Hit(FaultPoints.AfterCommit);
            await AfterCommitAsync(jobId, saved.Summary!, cancellationToken);
            LogAntenna(jobId, JobLogLevel.Info, TaskLogLines.Saved(jobId));
            counts = new ResultCounts(results.Detections.Count, results.ClassificationCount(), results.SourceImages.Count);
        }

        started = Stopwatch.GetTimestamp();
        var after = await jobState.UpdateResultsStageAsync(jobId, imageIds, counts, job.StoredCounts, cancellationToken);
        Observe("redis_results", started);
        if (after is null)
        {
            return await StateMissingAsync(task, logAck: true, cancellationToken);
        }

        FaultPoints.Hit(FaultPoints.AfterRedis);
        LogAntenna(jobId, JobLogLevel.Info, TaskLogLines.StageUpdated(jobId, "results", after.ResultsPercentage));
        var write = await RecordAndMaybeFlushAsync(jobId, after, cancellationToken);
        LogThroughput(job, snapshot);
        if (write.AllStagesComplete)
        {
            LogAntenna(jobId, JobLogLevel.Info, TaskLogLines.Complete("results", write.StagesSummary));
        }

        var acked = await AckAsync(task.ReplySubject, cancellationToken);
        if (write.AllStagesComplete)
        {
            await CleanupIfAsyncAsync(job, cancellationToken);
        }

        // Antenna writes the ack line last (it acks after cleaning up; here the ack comes first,
        // so the completing result's ack is not lost with the deleted consumer).
        LogAck(jobId, task.ReplySubject, acked);
        return task.Result.IsError ? "error_result" : "saved";
    }

    // A result that can never be saved (unknown algorithm, misconfigured pipeline, ...): count its
    // images as processed and failed, say why in the job log and terminate the task so JetStream
    // does not send the image to a GPU again. Antenna swallows these and lets every redelivery
    // fail until the reconciler marks the images failed.
    private async ValueTask<TaskOutcome> RecordUnsavableAsync(ProcessPipelineResultTask task, IReadOnlyList<string> imageIds, string reason, CancellationToken cancellationToken)
    {
        var jobId = task.JobId;
        jobLog.Append(jobId, JobLogLevel.Error, $"Result for image(s) {string.Join(", ", imageIds)} of job {jobId} can never be saved and was marked failed: {reason}");
        var snapshot = await jobState.MarkFailedAsync(jobId, imageIds, cancellationToken);
        if (snapshot is null)
        {
            return await StateMissingAsync(task, logAck: false, cancellationToken);
        }

        var write = await RecordAndMaybeFlushAsync(jobId, snapshot, cancellationToken);
        await acknowledger.TerminateAsync(task.ReplySubject, reason, cancellationToken);
        if (write.AllStagesComplete && await jobs.GetAsync(jobId, cancellationToken) is { } job)
        {
            await CleanupIfAsyncAsync(job, cancellationToken);
        }

        // Antenna's task raises here: its Celery result is a FAILURE.
        return TaskOutcome.Failure("unsavable", reason);
    }

    // Antenna: the job's Redis state is gone (finished, cancelled, or evicted). Ack so the image is
    // not redelivered, fail the job unless it is already final or cancelling, and clean up. Only
    // when the state vanished between the two stages does Antenna's job log record the ack.
    private async ValueTask<string> StateMissingAsync(ProcessPipelineResultTask task, bool logAck, CancellationToken cancellationToken)
    {
        var jobId = task.JobId;
        var job = await jobs.GetAsync(jobId, cancellationToken);
        if (job is not null && job.IsFinalOrCanceling)
        {
            Log.LateResult(logger, jobId, job.Status);
        }
        else
        {
            Log.StateMissing(logger, jobId, job?.Status ?? "(no job row)");
        }

        var acked = await AckAsync(task.ReplySubject, cancellationToken);
        if (logAck && job is not null)
        {
            LogAck(jobId, task.ReplySubject, acked);
        }

        var failed = await jobs.FailJobAsync(jobId, StateMissingReason, cancellationToken);
        if (failed || job is null)
        {
            await cleaner.CleanupAsync(jobId, cancellationToken);
        }

        return "state_missing";
    }

    private async ValueTask<TaskOutcome> SaveOnlyAsync(SaveResultsTask task, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var saved = await saver.SaveAsync(new SaveRequest(task.JobId, task.Results), cancellationToken);
        Observe("save", started);
        if (!saved.Saved)
        {
            if (task.JobId is { } jobId)
            {
                jobLog.Append(jobId, JobLogLevel.Error, $"Failed to save results from pipeline {task.Results.Pipeline}: {saved.FailureReason}");
            }

            Log.Unsavable(logger, task.JobId ?? 0, saved.FailureReason!);
            return TaskOutcome.Failure("unsavable", saved.FailureReason!);
        }

        await AfterCommitAsync(task.JobId, saved.Summary!, cancellationToken);
        return "saved";
    }

    private async ValueTask<string> ScheduleCropsAsync(CreateDetectionImagesTask task, CancellationToken cancellationToken)
    {
        await crops.ScheduleAsync(task.SourceImageIds, null, cancellationToken);
        return "crops_scheduled";
    }

    private async ValueTask AfterCommitAsync(long? jobId, SaveSummary summary, CancellationToken cancellationToken)
    {
        if (jobId is { } id)
        {
            foreach (var line in summary.LogLines)
            {
                jobLog.Append(id, line.Level, line.Message);
            }
        }

        await postCommit.MarkAsync(jobId, summary.EventIds, summary.DeploymentIds, summary.ImagesNeedingCrops, cancellationToken);
        if (summary.ImagesNeedingCrops.Count > 0)
        {
            // The id the job log names as Antenna's "sub-task" (it is not a Celery task id).
            Log.CropsRequested(logger, summary.CropRequestId, summary.ImagesNeedingCrops.Count, jobId ?? 0);
        }
    }

    private async ValueTask<ProgressWrite> RecordAndMaybeFlushAsync(long jobId, JobStateSnapshot snapshot, CancellationToken cancellationToken)
    {
        progress.Record(jobId, snapshot);
        if (snapshot.RemainingProcess > 0 || snapshot.RemainingResults > 0)
        {
            return default;
        }

        // Every image is through both stages: this write may complete the job; do it now.
        var started = Stopwatch.GetTimestamp();
        var write = await progress.FlushAsync(jobId, cancellationToken);
        Observe("progress", started);
        return write;
    }

    private async ValueTask<AckResult> AckAsync(string replySubject, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var result = await acknowledger.AckAsync(replySubject, cancellationToken);
        Observe("ack", started);
        return result;
    }

    private async ValueTask CleanupIfAsyncAsync(JobInfo job, CancellationToken cancellationToken)
    {
        // Antenna cleans up only jobs dispatched through NATS (cleanup_async_job_if_needed).
        if (job.DispatchMode == "async_api")
        {
            await cleaner.CleanupAsync(job.Id, cancellationToken);
        }
    }

    // _update_job_progress's lines for one stage: the percentage, then the throughput.
    private void LogStage(JobInfo job, string stage, double fraction, JobStateSnapshot processSnapshot)
    {
        LogAntenna(job.Id, JobLogLevel.Info, TaskLogLines.StageUpdated(job.Id, stage, fraction));
        LogThroughput(job, processSnapshot);
    }

    private void LogThroughput(JobInfo job, JobStateSnapshot processSnapshot)
    {
        if (_antennaLines && TaskLogLines.Throughput(job.Id, job.StartedAtUtc, _time.GetUtcNow().UtcDateTime,
                processSnapshot.ProcessedProcess, processSnapshot.RemainingProcess) is { } line)
        {
            jobLog.Append(job.Id, JobLogLevel.Info, line);
        }
    }

    // A request that found no consumer is the one case where Antenna's fire-and-forget publish
    // and this confirmed ack can tell different stories; the log says what happened.
    private void LogAck(long jobId, string replySubject, AckResult acked) => LogAntenna(
        jobId,
        acked == AckResult.ConsumerGone ? JobLogLevel.Warning : JobLogLevel.Info,
        acked == AckResult.ConsumerGone ? TaskLogLines.NotAcknowledged(replySubject) : TaskLogLines.Acknowledged(replySubject));

    private void LogAntenna(long jobId, JobLogLevel level, string message)
    {
        if (_antennaLines)
        {
            jobLog.Append(jobId, level, message);
        }
    }

    private void Observe(string stage, long started) =>
        metrics.StageSeconds.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds, stage);

    private static partial class Log
    {
        [LoggerMessage(2500, LogLevel.Warning, "job {JobId} not found; result acked and dropped")]
        public static partial void JobMissing(ILogger logger, long jobId);

        [LoggerMessage(2504, LogLevel.Debug, "crop request {CropRequestId}: {Count} image(s) of job {JobId} scheduled for detection crops")]
        public static partial void CropsRequested(ILogger logger, Guid cropRequestId, int count, long jobId);

        [LoggerMessage(2501, LogLevel.Information, "result arrived after job {JobId} already finished ({Status}); acked and dropped")]
        public static partial void LateResult(ILogger logger, long jobId, string status);

        [LoggerMessage(2502, LogLevel.Warning, "Redis state of job {JobId} is gone while the job is {Status}; failing the job")]
        public static partial void StateMissing(ILogger logger, long jobId, string status);

        [LoggerMessage(2503, LogLevel.Error, "results for job {JobId} can never be saved: {Reason}")]
        public static partial void Unsavable(ILogger logger, long jobId, string reason);
    }
}
