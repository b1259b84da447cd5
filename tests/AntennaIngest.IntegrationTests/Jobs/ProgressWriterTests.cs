using System.Text.Json.Nodes;
using AntennaIngest.Core.Processing;

namespace AntennaIngest.IntegrationTests.Jobs;

public sealed class ProgressWriterTests
{
    private static JobStateSnapshot Snapshot(long total, long remainingProcess, long remainingResults, long failed = 0, long detections = 0) =>
        new(total, remainingProcess, remainingResults, failed, 0, new ResultCounts(detections, detections * 2, total - remainingResults));

    [Fact]
    public async Task Many_snapshots_within_the_interval_become_one_write_of_the_most_advanced()
    {
        await using var fixture = await JobRowFixture.CreateAsync(progressIntervalMs: 60_000);
        var jobId = await fixture.JobAsync(100);
        var before = await fixture.RowAsync(jobId);

        for (var remaining = 99; remaining >= 50; remaining--)
        {
            fixture.Progress.Record(jobId, Snapshot(100, remaining, remaining + 1, detections: 100 - remaining));
        }

        var write = await fixture.Progress.FlushAsync(jobId, CancellationToken.None);

        Assert.False(write.Completed);
        Assert.Equal(1, fixture.Metrics.JobRowWrites.Value());
        var row = await fixture.RowAsync(jobId);
        var progress = JsonNode.Parse(row.Progress)!;
        var process = progress["stages"]!.AsArray().Single(s => (string?)s!["key"] == "process")!;
        Assert.Equal(0.5, (double)process["progress"]!);
        Assert.Equal("STARTED", row.Status);
        Assert.Null(row.FinishedAt);
        Assert.True(row.UpdatedAt > before.UpdatedAt, "updated_at is bumped (the stale-job reaper reads it)");
    }

    [Fact]
    public async Task The_last_snapshot_completes_the_job_with_a_guarded_update()
    {
        await using var fixture = await JobRowFixture.CreateAsync();
        var jobId = await fixture.JobAsync(2);

        fixture.Progress.Record(jobId, Snapshot(2, 0, 0, detections: 3));
        var write = await fixture.Progress.FlushAsync(jobId, CancellationToken.None);

        Assert.Equal(new ProgressWrite(true, "SUCCESS", AllStagesComplete: true,
            StagesSummary: "collect=100.0% SUCCESS, process=100.0% SUCCESS, results=100.0% SUCCESS"), write);
        var row = await fixture.RowAsync(jobId);
        Assert.Equal("SUCCESS", row.Status);
        Assert.NotNull(row.FinishedAt);
        var progress = JsonNode.Parse(row.Progress)!;
        Assert.Equal("SUCCESS", (string?)progress["summary"]!["status"]);
        Assert.Equal(1.0, (double)progress["summary"]!["progress"]!);
        // Antenna's own completion lines come from the result processor; this one is the summary style's.
        Assert.DoesNotContain(("INFO", $"Job {jobId} finished with status SUCCESS"), await fixture.LogAsync(jobId));
    }

    [Fact]
    public async Task A_revoked_job_is_never_resurrected_by_a_late_result()
    {
        await using var fixture = await JobRowFixture.CreateAsync();
        var jobId = await fixture.JobAsync(2, status: "REVOKED");

        fixture.Progress.Record(jobId, Snapshot(2, 0, 0));
        var write = await fixture.Progress.FlushAsync(jobId, CancellationToken.None);

        Assert.False(write.Completed);
        var row = await fixture.RowAsync(jobId);
        Assert.Equal("REVOKED", row.Status);
        Assert.Null(row.FinishedAt);
        Assert.Contains(await fixture.LogAsync(jobId), l => l.Level == "WARNING" && l.Message.Contains("already in a terminal state", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Writers_in_two_processes_interleaving_old_and_new_snapshots_end_at_the_newest()
    {
        await using var first = await JobRowFixture.CreateAsync();
        var jobId = await first.JobAsync(40);
        await using var secondSource = AntennaIngest.Postgres.Connections.PostgresDataSource.Create(first.Settings, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
        var second = new AntennaIngest.Postgres.Jobs.PostgresProgressWriter(secondSource, first.Settings, first.JobLog, first.Metrics, AntennaIngest.Core.Processing.NoTableChangeNotifier.Instance, Microsoft.Extensions.Logging.Abstractions.NullLogger<AntennaIngest.Postgres.Jobs.PostgresProgressWriter>.Instance);

        var writes = new List<Task>();
        for (var remaining = 39; remaining >= 0; remaining--)
        {
            var writer = remaining % 2 == 0 ? first.Progress : second;
            var snapshot = Snapshot(40, remaining, remaining, detections: 40 - remaining);
            writer.Record(jobId, snapshot);
            writes.Add(writer.FlushAsync(jobId, CancellationToken.None).AsTask());
        }

        await Task.WhenAll(writes);
        var row = await first.RowAsync(jobId);
        var progress = JsonNode.Parse(row.Progress)!;
        var results = progress["stages"]!.AsArray().Single(s => (string?)s!["key"] == "results")!;
        Assert.Equal("SUCCESS", row.Status);
        Assert.Equal(1.0, (double)results["progress"]!);
        Assert.Equal(40L, (long)results["params"]!.AsArray().Single(p => (string?)p!["key"] == "detections")!["value"]!);
        second.Dispose();
    }
}
