using System.Text.Json.Nodes;
using AntennaIngest.Core.Processing;
using AntennaIngest.Core.Progress;

namespace AntennaIngest.UnitTests.Progress;

public sealed class JobProgressRulesTests
{
    // The progress JSON Antenna's MLJob.run leaves before any result: collect done, the others created.
    private static JsonObject Initial() => (JsonObject)JsonNode.Parse(
        """
        {"summary": {"status": "STARTED", "progress": 0.3333333333333333},
         "stages": [
          {"key": "collect", "name": "Collect", "status": "SUCCESS", "progress": 1.0,
           "params": [{"name": "Total Images", "key": "total_images", "category": "default", "value": 8}]},
          {"key": "process", "name": "Process", "status": "CREATED", "progress": 0,
           "params": [{"name": "Processed", "key": "processed", "category": "default", "value": ""},
                      {"name": "Remaining", "key": "remaining", "category": "default", "value": ""},
                      {"name": "Failed", "key": "failed", "category": "default", "value": ""}]},
          {"key": "results", "name": "Results", "status": "CREATED", "progress": 0,
           "params": [{"name": "Captures", "key": "captures", "category": "default", "value": ""},
                      {"name": "Detections", "key": "detections", "category": "default", "value": ""},
                      {"name": "Classifications", "key": "classifications", "category": "default", "value": ""}]}],
         "errors": [], "logs": []}
        """)!;

    private static JobStateSnapshot Snapshot(long total, long remainingProcess, long remainingResults, long failed, long detections = 0, long classifications = 0, long captures = 0) =>
        new(total, remainingProcess, remainingResults, failed, 0, new ResultCounts(detections, classifications, captures));

    private static JsonObject Stage(JsonObject progress, string key) =>
        progress["stages"]!.AsArray().Select(s => s!.AsObject()).Single(s => (string?)s["key"] == key);

    private static JsonNode? Param(JsonObject progress, string stage, string key) =>
        Stage(progress, stage)["params"]!.AsArray().Single(p => (string?)p!["key"] == key)!["value"];

    [Fact]
    public void Antennas_documented_example_after_three_of_eight_saved_and_a_fourth_processed()
    {
        var progress = Initial();

        var outcome = JobProgressRules.Apply(progress, Snapshot(8, 4, 5, 0, detections: 41, classifications: 82, captures: 3), "STARTED", 7);

        Assert.False(outcome.Complete);
        Assert.Null(outcome.TransitionTo);
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse(
                """
                {"summary": {"status": "STARTED", "progress": 0.625},
                 "stages": [
                  {"key": "collect", "name": "Collect", "status": "SUCCESS", "progress": 1.0,
                   "params": [{"name": "Total Images", "key": "total_images", "category": "default", "value": 8}]},
                  {"key": "process", "name": "Process", "status": "STARTED", "progress": 0.5,
                   "params": [{"name": "Processed", "key": "processed", "category": "default", "value": 4},
                              {"name": "Remaining", "key": "remaining", "category": "default", "value": 4},
                              {"name": "Failed", "key": "failed", "category": "default", "value": 0}]},
                  {"key": "results", "name": "Results", "status": "STARTED", "progress": 0.375,
                   "params": [{"name": "Captures", "key": "captures", "category": "default", "value": 3},
                              {"name": "Detections", "key": "detections", "category": "default", "value": 41},
                              {"name": "Classifications", "key": "classifications", "category": "default", "value": 82}]}],
                 "errors": [], "logs": []}
                """),
            JsonNode.Parse(progress.ToJsonString())),
            progress.ToJsonString());
    }

    [Fact]
    public void Progress_and_counters_never_regress_when_an_older_snapshot_is_written_later()
    {
        var progress = Initial();
        JobProgressRules.Apply(progress, Snapshot(8, 2, 3, 1, detections: 50, classifications: 100, captures: 5), "STARTED", 7);

        JobProgressRules.Apply(progress, Snapshot(8, 5, 6, 0, detections: 20, classifications: 40, captures: 2), "STARTED", 7);

        Assert.Equal(0.75, (double)Stage(progress, "process")["progress"]!);
        Assert.Equal(0.625, (double)Stage(progress, "results")["progress"]!);
        Assert.Equal(6L, (long)Param(progress, "process", "processed")!);
        Assert.Equal(2L, (long)Param(progress, "process", "remaining")!);
        Assert.Equal(1L, (long)Param(progress, "process", "failed")!);
        Assert.Equal(50L, (long)Param(progress, "results", "detections")!);
    }

    [Fact]
    public void After_a_re_run_resets_the_params_remaining_follows_the_new_run()
    {
        var progress = Initial();
        JobProgressRules.Apply(progress, Snapshot(8, 0, 0, 0, detections: 50, classifications: 100, captures: 8), "STARTED", 7);
        progress = ResetAsAntennaDoes(progress); // Job.retry(): progress.reset() zeroes every numeric param

        JobProgressRules.Apply(progress, Snapshot(8, 7, 7, 0, detections: 2, classifications: 4, captures: 1), "STARTED", 7);

        Assert.Equal(1L, (long)Param(progress, "process", "processed")!);
        Assert.Equal(7L, (long)Param(progress, "process", "remaining")!);
        Assert.Equal(2L, (long)Param(progress, "results", "detections")!);
    }

    [Fact]
    public void Snapshots_of_different_runs_do_not_mix_and_the_later_run_wins()
    {
        var oldRun = new JobStateSnapshot(8, 0, 0, 3, 1, new ResultCounts(50, 100, 8), Run: 1_000);
        var newRun = new JobStateSnapshot(8, 7, 7, 0, 1, new ResultCounts(2, 4, 1), Run: 2_000);

        var expected = newRun with { NewlyRemoved = 0 };
        Assert.Equal(expected, oldRun.Merge(newRun));
        Assert.Equal(expected, newRun.Merge(oldRun));
        Assert.Equal(new ResultCounts(50, 100, 8), oldRun.Merge(oldRun with { Counts = new ResultCounts(40, 80, 6) }).Counts);
    }

    // Returns the JSON as the next write reads it back from jobs_job.progress.
    private static JsonObject ResetAsAntennaDoes(JsonObject progress)
    {
        progress["summary"]!["progress"] = 0;
        foreach (var stage in progress["stages"]!.AsArray())
        {
            stage!["progress"] = 0;
            foreach (var param in stage["params"]!.AsArray())
            {
                if (param!["value"] is JsonValue value && value.GetValueKind() == System.Text.Json.JsonValueKind.Number)
                {
                    param["value"] = 0;
                }
            }
        }

        return (JsonObject)JsonNode.Parse(progress.ToJsonString())!;
    }

    [Fact]
    public void More_than_half_failed_shows_failure_early_and_keeps_it()
    {
        var progress = Initial();
        JobProgressRules.Apply(progress, Snapshot(4, 1, 1, 3), "STARTED", 7);
        Assert.Equal("FAILURE", (string?)Stage(progress, "process")["status"]);

        // Later snapshot under the threshold (should not happen, but FAILURE is sticky anyway).
        JobProgressRules.Apply(progress, Snapshot(4, 0, 0, 2), "STARTED", 7);
        Assert.Equal("FAILURE", (string?)Stage(progress, "process")["status"]);
        Assert.Equal("FAILURE", (string?)Stage(progress, "results")["status"]);
    }

    [Fact]
    public void Exactly_half_failed_is_still_success()
    {
        var progress = Initial();

        var outcome = JobProgressRules.Apply(progress, Snapshot(4, 0, 0, 2), "STARTED", 7);

        Assert.True(outcome.Complete);
        Assert.Equal("SUCCESS", outcome.TransitionTo);
        Assert.Equal("SUCCESS", (string?)progress["summary"]!["status"]);
        Assert.Equal(1.0, (double)progress["summary"]!["progress"]!);
    }

    [Fact]
    public void Completion_of_a_failed_job_transitions_to_failure()
    {
        var progress = Initial();

        var outcome = JobProgressRules.Apply(progress, Snapshot(3, 0, 0, 2), "STARTED", 7);

        Assert.Equal("FAILURE", outcome.TransitionTo);
        Assert.Equal("FAILURE", (string?)progress["summary"]!["status"]);
    }

    [Theory]
    [InlineData("REVOKED")]
    [InlineData("CANCELING")]
    [InlineData("SUCCESS")]
    [InlineData("FAILURE")]
    public void A_finished_or_cancelling_job_is_never_resurrected(string status)
    {
        var progress = Initial();
        progress["summary"]!["status"] = status;

        var outcome = JobProgressRules.Apply(progress, Snapshot(2, 0, 0, 0), status, 7);

        Assert.True(outcome.Complete);
        Assert.Null(outcome.TransitionTo);
        Assert.Equal(status, (string?)progress["summary"]!["status"]);
        Assert.Contains(outcome.Lines, l => l.Level == JobLogLevel.Warning && l.Message.Contains("already in a terminal state", StringComparison.Ordinal));
    }

    [Fact]
    public void A_job_with_no_images_completes_at_once()
    {
        var progress = Initial();

        var outcome = JobProgressRules.Apply(progress, Snapshot(0, 0, 0, 0), "STARTED", 7);

        Assert.Equal("SUCCESS", outcome.TransitionTo);
    }

    [Fact]
    public void Stored_counts_read_empty_strings_as_zero()
    {
        Assert.Equal(ResultCounts.Zero, JobProgressRules.StoredCounts(Initial()));

        var progress = Initial();
        JobProgressRules.Apply(progress, Snapshot(8, 4, 5, 0, detections: 41, classifications: 82, captures: 3), "STARTED", 7);
        Assert.Equal(new ResultCounts(41, 82, 3), JobProgressRules.StoredCounts(progress));
    }

    [Fact]
    public void Fail_job_sets_the_summary_and_recomputes_the_mean_unless_final_or_cancelling()
    {
        var progress = Initial();
        Assert.True(JobProgressRules.ApplyFailJob(progress, "STARTED"));
        Assert.Equal("FAILURE", (string?)progress["summary"]!["status"]);
        Assert.Equal(1.0 / 3.0, (double)progress["summary"]!["progress"]!, 10);

        var cancelling = Initial();
        Assert.False(JobProgressRules.ApplyFailJob(cancelling, "CANCELING"));
        Assert.Equal("STARTED", (string?)cancelling["summary"]!["status"]);
    }
}
