using System.Globalization;
using System.Text.Json.Nodes;
using AntennaIngest.Core.Processing;

namespace AntennaIngest.Core.Progress;

/// <summary>
/// Antenna's `_update_job_progress` for the "process" and "results" stages at once, applied to
/// the stored `jobs_job.progress` JSON (pydantic JobProgress). Pure: the caller reads the row
/// under a lock and writes what comes out.
/// </summary>
/// <remarks>
/// Antenna accumulates the results-stage counters into the JSON (read-modify-write) and writes
/// the process params as the snapshot it happened to read; concurrent workers can lose or regress
/// values. Here every value comes from an atomic Redis snapshot and is merged monotonically:
/// progress, processed, failed and the counters never go down within a run; remaining is total − processed.
/// </remarks>
public static class JobProgressRules
{
    public const string Failure = "FAILURE";
    public const string Success = "SUCCESS";
    public const string Started = "STARTED";
    public const string Created = "CREATED";

    private static readonly string[] s_finalStates = ["SUCCESS", "FAILURE", "REVOKED"];
    private static readonly string[] s_finalizableStates = ["CREATED", "PENDING", "STARTED", "RETRY"];

    public static bool IsFinalizable(string jobStatus) => Array.IndexOf(s_finalizableStates, jobStatus) >= 0;

    /// <summary>
    /// Applies <paramref name="snapshot"/> to <paramref name="progress"/> (modified in place).
    /// <paramref name="jobStatus"/> is the status column read under the row lock: it decides
    /// whether a completion may change it (the guarded terminal UPDATE).
    /// </summary>
    public static ProgressOutcome Apply(JsonObject progress, JobStateSnapshot snapshot, string jobStatus, long jobId)
    {
        var lines = new List<JobLogLine>();
        var completeState = snapshot.ExceedsFailureThreshold ? Failure : Success;
        var stages = progress["stages"] as JsonArray ?? [];
        progress["stages"] = stages;

        var processState = UpdateStage(stages, "process", "Process", snapshot.ProcessPercentage, completeState,
            ("processed", snapshot.ProcessedProcess, Merge.Max),
            ("remaining", snapshot.Total, Merge.RemainingOfTotal),
            ("failed", snapshot.Failed, Merge.Max));
        var resultsState = UpdateStage(stages, "results", "Results", snapshot.ResultsPercentage, completeState,
            ("detections", snapshot.Counts.Detections, Merge.Max),
            ("classifications", snapshot.Counts.Classifications, Merge.Max),
            ("captures", snapshot.Counts.Captures, Merge.Max));

        var complete = IsComplete(stages);
        var finalState = processState == Failure || resultsState == Failure ? Failure : Success;
        var transition = false;
        if (complete)
        {
            if (IsFinalizable(jobStatus))
            {
                transition = true;
                Summary(progress)["status"] = finalState;
            }
            else
            {
                lines.Add(new JobLogLine(JobLogLevel.Warning, TaskLogLines.TerminalAlready("results", finalState)));
            }
        }

        UpdateSummaryProgress(progress);
        return new ProgressOutcome(complete, transition ? finalState : null, lines, StagesSummary(stages));
    }

    /// <summary>Antenna's `", ".join(f"{s.key}={s.progress*100:.1f}% {s.status}")` over the stages, in order.</summary>
    public static string StagesSummary(JsonArray stages)
    {
        var parts = new List<string>(stages.Count);
        foreach (var node in stages)
        {
            if (node is JsonObject stage)
            {
                parts.Add($"{(string?)stage["key"]}={TaskLogLines.Percent1(Number(stage["progress"]))}% {(string?)stage["status"]}");
            }
        }

        return string.Join(", ", parts);
    }

    /// <summary>
    /// `_fail_job`'s change to the JSON: summary FAILURE, then Job.update_progress (stage
    /// promotions and the mean). Returns false when the job is CANCELING or final (no change).
    /// </summary>
    public static bool ApplyFailJob(JsonObject progress, string jobStatus)
    {
        if (jobStatus == "CANCELING" || Array.IndexOf(s_finalStates, jobStatus) >= 0)
        {
            return false;
        }

        Summary(progress)["status"] = Failure;
        UpdateSummaryProgress(progress);
        return true;
    }

    /// <summary>Results-stage counters currently in the JSON ("" and null count as 0, as Antenna reads them).</summary>
    public static ResultCounts StoredCounts(JsonObject progress)
    {
        var stage = FindStage(progress["stages"] as JsonArray ?? [], "results");
        return stage is null
            ? ResultCounts.Zero
            : new ResultCounts(ParamValue(stage, "detections"), ParamValue(stage, "classifications"), ParamValue(stage, "captures"));
    }

    private enum Merge
    {
        Max,

        /// <summary>
        /// The value given is the total; the param becomes total − the param merged just before it
        /// (`processed`), so `remaining` agrees with `processed` in the same JSON (as Antenna's
        /// writes do) and restarts with a re-run, whose reset zeroes both.
        /// </summary>
        RemainingOfTotal,
    }

    private static string UpdateStage(
        JsonArray stages,
        string key,
        string name,
        double percentage,
        string completeState,
        params (string Key, long Value, Merge Merge)[] parameters)
    {
        var stage = FindStage(stages, key);
        if (stage is null)
        {
            stage = new JsonObject { ["key"] = key, ["name"] = name, ["status"] = Created, ["progress"] = 0.0, ["params"] = new JsonArray() };
            stages.Add((JsonNode)stage);
        }

        var existing = Number(stage["progress"]);
        if (existing > percentage)
        {
            percentage = existing;
        }

        if ((string?)stage["status"] == Failure)
        {
            completeState = Failure;
        }

        var status = percentage >= 1.0 ? completeState : completeState == Failure ? Failure : Started;
        stage["status"] = status;
        stage["progress"] = percentage;
        var stageParams = stage["params"] as JsonArray ?? [];
        stage["params"] = stageParams;
        long? previous = null; // the value merged just before (processed, for a derived remaining)
        foreach (var (paramKey, value, merge) in parameters)
        {
            var param = FindParam(stageParams, paramKey);
            long merged;
            if (merge == Merge.RemainingOfTotal)
            {
                merged = Math.Max(0, value - (previous ?? 0));
            }
            else
            {
                merged = param is not null && StoredNumber(param["value"]) is { } old ? Math.Max(old, value) : value;
            }

            if (param is null)
            {
                stageParams.Add((JsonNode)new JsonObject { ["name"] = paramKey, ["key"] = paramKey, ["category"] = "default", ["value"] = merged });
            }
            else
            {
                param["value"] = merged;
            }

            previous = merged;
        }

        return status;
    }

    private static bool IsComplete(JsonArray stages)
    {
        if (stages.Count == 0)
        {
            return false;
        }

        foreach (var node in stages)
        {
            if (node is not JsonObject stage || Number(stage["progress"]) < 1.0 || Array.IndexOf(s_finalStates, (string?)stage["status"]) < 0)
            {
                return false;
            }
        }

        return true;
    }

    // Job.update_progress(): promote started/finished stages, summary.progress = mean.
    private static void UpdateSummaryProgress(JsonObject progress)
    {
        var stages = progress["stages"] as JsonArray ?? [];
        double total = 0;
        foreach (var node in stages)
        {
            if (node is not JsonObject stage)
            {
                continue;
            }

            var value = Number(stage["progress"]);
            var status = (string?)stage["status"];
            if (value > 0 && status == Created)
            {
                stage["status"] = Started;
            }
            else if (value == 1.0 && Array.IndexOf(s_finalStates, status) < 0)
            {
                stage["status"] = Success;
            }

            total += value;
        }

        Summary(progress)["progress"] = stages.Count == 0 ? 0.0 : total / stages.Count;
    }

    private static JsonObject Summary(JsonObject progress)
    {
        if (progress["summary"] is not JsonObject summary)
        {
            summary = new JsonObject { ["status"] = Created, ["progress"] = 0.0 };
            progress["summary"] = summary;
        }

        return summary;
    }

    private static JsonObject? FindStage(JsonArray stages, string key)
    {
        foreach (var node in stages)
        {
            if (node is JsonObject stage && (string?)stage["key"] == key)
            {
                return stage;
            }
        }

        return null;
    }

    private static JsonObject? FindParam(JsonArray parameters, string key)
    {
        foreach (var node in parameters)
        {
            if (node is JsonObject param && (string?)param["key"] == key)
            {
                return param;
            }
        }

        return null;
    }

    private static long ParamValue(JsonObject stage, string key) =>
        stage["params"] is JsonArray parameters && FindParam(parameters, key) is { } param && StoredNumber(param["value"]) is { } value ? value : 0;

    private static long? StoredNumber(JsonNode? node)
    {
        if (node is not JsonValue value)
        {
            return null;
        }

        if (value.TryGetValue<long>(out var integer))
        {
            return integer;
        }

        if (value.TryGetValue<double>(out var real))
        {
            return (long)real;
        }

        return value.TryGetValue<string>(out var text) && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) ? parsed : null;
    }

    private static double Number(JsonNode? node) =>
        node is JsonValue value && (value.TryGetValue<double>(out var real) || (value.TryGetValue<long>(out var integer) && (real = integer) == integer)) ? real : 0;
}

/// <summary>What applying a snapshot did.</summary>
/// <param name="Complete">Every stage is at 100 % with a final status.</param>
/// <param name="TransitionTo">The status the job row must move to (guarded UPDATE), or null.</param>
/// <param name="StagesSummary">Every stage's key, progress and status, as Antenna's completion line lists them.</param>
public sealed record ProgressOutcome(bool Complete, string? TransitionTo, IReadOnlyList<JobLogLine> Lines, string StagesSummary);
