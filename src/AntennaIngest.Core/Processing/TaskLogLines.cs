using System.Globalization;
using AntennaIngest.Core.Planning;

namespace AntennaIngest.Core.Processing;

/// <summary>
/// The job-log lines Antenna's process_nats_pipeline_result writes around a result (ami/jobs/tasks.py
/// at 731cc2a2), worded and formatted as Python renders them: percentages are
/// <c>repr(float)</c> of <c>processed / total * 100</c> (so <c>33.33333333333333</c>, <c>100.0</c>),
/// <c>None</c> prints as "None". The job log view is what Antenna's users read when a job misbehaves.
/// </summary>
public static class TaskLogLines
{
    public const string StateMissingReason = "Job state keys not found in Redis (likely cleaned up concurrently)";

    /// <summary>Below this much run time Antenna writes no throughput line (a rate over &lt; 3 s is noise).</summary>
    public static readonly TimeSpan ThroughputMinimum = TimeSpan.FromMinutes(0.05);

    public static string StageUpdated(long jobId, string stage, double fraction) =>
        Invariant($"Updated job {jobId} progress in stage '{stage}' to {Percent(fraction)}%");

    public static string ProcessingResult(long jobId, string replySubject) =>
        Invariant($"Processing pipeline result for job {jobId}, reply_subject: {replySubject}");

    /// <summary>The leading space is Antenna's.</summary>
    public static string ProcessProgress(long jobId, JobStateSnapshot snapshot, int justProcessed) => string.Create(
        CultureInfo.InvariantCulture,
        $" Job {jobId} progress: {snapshot.ProcessedProcess}/{snapshot.Total} images processed ({Percent(snapshot.ProcessPercentage)}%), {snapshot.RemainingProcess} remaining, {snapshot.Failed} failed, {justProcessed} just processed");

    public static string PipelineError(long jobId, string? imageId, string error) =>
        Invariant($"Pipeline returned error for job {jobId}, image {imageId ?? "None"}: {error}");

    public static string Saved(long jobId) => Invariant($"Successfully saved results for job {jobId}");

    public static string Acknowledged(string replySubject) => $"Successfully acknowledged task via NATS: {replySubject}";

    public static string NotAcknowledged(string replySubject) => $"Failed to acknowledge task via NATS: {replySubject}";

    public static string TerminalAlready(string stage, string completeState) =>
        $"Stage '{stage}' completed but the job was already in a terminal state; not applying {completeState}.";

    public static string Complete(string stage, string stagesSummary) =>
        $"is_complete()=True after stage='{stage}' update; firing cleanup. Stages: {stagesSummary}";

    public static string RetriesExhausted(long jobId, string error, bool natsRedelivers) =>
        Invariant($"Error processing pipeline result for job {jobId}: {error}") + (natsRedelivers ? ". NATS will re-deliver the task message." : string.Empty);

    public static string StatusChanged(long jobId, string from, string to) => Invariant($"Changing status of job {jobId} from {from} to {to}");

    public static string MarkedFailed(long jobId, string reason) => Invariant($"Job {jobId} marked as FAILURE: {reason}");

    /// <summary>
    /// `_log_job_throughput`: processed and remaining are the process stage's params, elapsed is
    /// measured from the job's started_at; null when Antenna writes nothing (not started, or
    /// less than <see cref="ThroughputMinimum"/> ago).
    /// </summary>
    public static string? Throughput(long jobId, DateTime? startedAtUtc, DateTime nowUtc, long processed, long remaining)
    {
        if (startedAtUtc is not { } started)
        {
            return null;
        }

        var elapsed = nowUtc - started;
        if (elapsed < ThroughputMinimum)
        {
            return null;
        }

        var total = processed + remaining;
        string rate;
        if (processed == 0)
        {
            rate = "rate=0.0 imgs/min, ETA=unknown";
        }
        else
        {
            var perMinute = processed / elapsed.TotalMinutes;
            var etaSeconds = Math.Max(0, total - processed) / perMinute * 60.0;
            rate = Invariant($"rate={perMinute:F1} imgs/min, ETA={Elapsed(etaSeconds)}");
        }

        return Invariant($"Job {jobId} throughput: elapsed={Elapsed(elapsed.TotalSeconds)}, processed={processed}/{total}, {rate}");
    }

    /// <summary>`_format_elapsed`: whole seconds (truncated), hours only when non-zero.</summary>
    public static string Elapsed(double seconds)
    {
        var whole = (long)Math.Max(0, seconds);
        var (hours, rest) = Math.DivRem(whole, 3600);
        var (minutes, secs) = Math.DivRem(rest, 60);
        return hours > 0 ? Invariant($"{hours}h {minutes:00}m {secs:00}s") : Invariant($"{minutes}m {secs:00}s");
    }

    /// <summary>Python's <c>f"{fraction*100}"</c>: the product, rendered as repr(float).</summary>
    public static string Percent(double fraction) => PythonFloat.Repr(fraction * 100);

    /// <summary>Python's <c>f"{fraction*100:.1f}"</c>.</summary>
    public static string Percent1(double fraction) => (fraction * 100).ToString("F1", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
