using AntennaIngest.Core.Contracts;

namespace AntennaIngest.Core.Planning;

/// <summary>
/// Antenna's save_results as a pure function: results of a group (in order) plus what the first
/// round trip read → a <see cref="WriteDraft"/>. No I/O; the database adapter runs the round trips.
/// </summary>
public static class WritePlanner
{
    /// <summary>Algorithm.detection_task_types.</summary>
    public static readonly IReadOnlyList<string> DetectionTaskTypes = ["detection", "localization", "segmentation"];

    public const string NoDetectionAlgorithm = "Pipeline does not have a detection algorithm";

    public const string SeveralDetectionAlgorithms = "Multiple detection algorithms per pipeline are not supported";

    /// <param name="timeZone">Where naive result timestamps are wall-clock times (Django's TIME_ZONE).</param>
    public static WriteDraft Plan(IReadOnlyList<PipelineResultsResponse> results, ReadSnapshot snapshot, string timeZone)
    {
        ArgumentNullException.ThrowIfNull(results);
        var draft = new WriteDraft(snapshot, timeZone);
        foreach (var result in results)
        {
            draft.Add(result);
        }

        return draft;
    }
}
