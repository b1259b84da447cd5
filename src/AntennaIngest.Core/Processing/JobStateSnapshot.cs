namespace AntennaIngest.Core.Processing;

/// <summary>Results-stage counters: raw counts from the responses (not rows created), as Antenna adds them.</summary>
public readonly record struct ResultCounts(long Detections, long Classifications, long Captures)
{
    public static ResultCounts Zero => default;
}

/// <summary>
/// One atomic read of a job's Redis state, taken in the same transaction as the update that
/// produced it. Both stages and the results counters are included so that any snapshot can be
/// turned into the whole progress JSON.
/// </summary>
/// <param name="Total">job:{id}:pending_images_total.</param>
/// <param name="RemainingProcess">SCARD job:{id}:pending_images:process.</param>
/// <param name="RemainingResults">SCARD job:{id}:pending_images:results.</param>
/// <param name="Failed">SCARD job:{id}:failed_images.</param>
/// <param name="NewlyRemoved">What this update's SREM removed (0 on a replay).</param>
/// <param name="Counts">Results-stage counters accumulated beside the sets (zero when they belong to an earlier run).</param>
/// <param name="Run">
/// Which run of the job the state belongs to: the absolute expiry (ms) of the total key, which only
/// Antenna's initialize_job sets, so a re-run (Job.retry) gets a new one. 0 when unknown.
/// </param>
public sealed record JobStateSnapshot(long Total, long RemainingProcess, long RemainingResults, long Failed, long NewlyRemoved, ResultCounts Counts, long Run = 0)
{
    /// <summary>Antenna's FAILURE_THRESHOLD: the job fails when strictly more than half its images failed.</summary>
    public const double FailureThreshold = 0.5;

    public long ProcessedProcess => Total - RemainingProcess;

    public long ProcessedResults => Total - RemainingResults;

    public double ProcessPercentage => Total == 0 ? 1.0 : (double)ProcessedProcess / Total;

    public double ResultsPercentage => Total == 0 ? 1.0 : (double)ProcessedResults / Total;

    public bool ExceedsFailureThreshold => Total > 0 && (double)Failed / Total > FailureThreshold;

    /// <summary>
    /// Merges two snapshots of the same job taken in any order into the most advanced one. Snapshots
    /// of different runs do not mix: the later run's wins whole (a re-run starts from zero).
    /// </summary>
    public JobStateSnapshot Merge(JobStateSnapshot other) => Run != other.Run && Run != 0 && other.Run != 0
        ? (Run > other.Run ? this : other) with { NewlyRemoved = 0 }
        : new(
        Math.Max(Total, other.Total),
        Math.Min(RemainingProcess, other.RemainingProcess),
        Math.Min(RemainingResults, other.RemainingResults),
        Math.Max(Failed, other.Failed),
        0,
        new ResultCounts(
            Math.Max(Counts.Detections, other.Counts.Detections),
            Math.Max(Counts.Classifications, other.Counts.Classifications),
            Math.Max(Counts.Captures, other.Counts.Captures)),
        Math.Max(Run, other.Run));
}
