namespace AntennaIngest.Core.Processing;

/// <summary>Redis key names: Antenna's job state keys and the few antenna-ingest adds (docs/architecture.md).</summary>
public static class RedisKeys
{
    public static string PendingImages(long jobId, string stage) => $"job:{jobId}:pending_images:{stage}";

    public static string FailedImages(long jobId) => $"job:{jobId}:failed_images";

    public static string Total(long jobId) => $"job:{jobId}:pending_images_total";

    /// <summary>Hash of results-stage counters (detections, classifications, captures).</summary>
    public static string ResultCounts(long jobId) => $"job:{jobId}:results_counts";

    public const string DirtyEvents = "ingest:dirty:events";

    public const string DirtyDeployments = "ingest:dirty:deployments";

    /// <summary>
    /// Set of "{imageId}:{jobId}" members (jobId 0 when none): source images whose detections
    /// without a path still need crops, and the job whose log hears about failures.
    /// </summary>
    public const string CropsPending = "ingest:crops:pending";

    /// <summary>Sorted set of crop members an instance is working on, scored with the claim's lease deadline (µs, Redis clock).</summary>
    public const string CropsClaimed = "ingest:crops:claimed";

    /// <summary>Antenna's AsyncJobStateManager.TIMEOUT.</summary>
    public static readonly TimeSpan JobStateTtl = TimeSpan.FromSeconds(604800);
}
