using System.Text.Json.Nodes;

namespace AntennaIngest.IntegrationTests.Jobs;

public sealed class JobStoreTests
{
    [Fact]
    public async Task Reads_the_job_and_its_stored_results_counters()
    {
        await using var fixture = await JobRowFixture.CreateAsync();
        var jobId = await fixture.JobAsync(5);

        var job = await fixture.Jobs.GetAsync(jobId, CancellationToken.None);

        Assert.NotNull(job);
        Assert.Equal("STARTED", job.Status);
        Assert.Equal("async_api", job.DispatchMode);
        Assert.Null(await fixture.Jobs.GetAsync(jobId + 1000, CancellationToken.None));
    }

    [Fact]
    public async Task Fail_job_marks_a_running_job_failed_and_logs_like_antenna()
    {
        await using var fixture = await JobRowFixture.CreateAsync();
        var jobId = await fixture.JobAsync(5);

        Assert.True(await fixture.Jobs.FailJobAsync(jobId, "Job state keys not found in Redis (likely cleaned up concurrently)", CancellationToken.None));

        var row = await fixture.RowAsync(jobId);
        Assert.Equal("FAILURE", row.Status);
        Assert.NotNull(row.FinishedAt);
        Assert.Equal("FAILURE", (string?)JsonNode.Parse(row.Progress)!["summary"]!["status"]);
        Assert.Equal(
            [
                ("INFO", $"Changing status of job {jobId} from STARTED to FAILURE"),
                ("ERROR", $"Job {jobId} marked as FAILURE: Job state keys not found in Redis (likely cleaned up concurrently)"),
            ],
            await fixture.LogAsync(jobId));
    }

    [Theory]
    [InlineData("CANCELING")]
    [InlineData("SUCCESS")]
    [InlineData("REVOKED")]
    public async Task Fail_job_leaves_final_and_cancelling_jobs_alone(string status)
    {
        await using var fixture = await JobRowFixture.CreateAsync();
        var jobId = await fixture.JobAsync(5, status);

        Assert.False(await fixture.Jobs.FailJobAsync(jobId, "whatever", CancellationToken.None));

        Assert.Equal(status, (await fixture.RowAsync(jobId)).Status);
        Assert.Empty(await fixture.LogAsync(jobId));
    }

    [Fact]
    public async Task Job_log_lines_are_written_in_one_insert_and_lines_of_deleted_jobs_are_skipped()
    {
        await using var fixture = await JobRowFixture.CreateAsync();
        var jobId = await fixture.JobAsync(5);
        var rowsBefore = fixture.Metrics.DbRoundTrips.Value("job_log");

        for (var i = 0; i < 100; i++)
        {
            fixture.JobLog.Append(jobId, AntennaIngest.Core.Processing.JobLogLevel.Info, $"line {i}");
        }

        fixture.JobLog.Append(jobId + 999, AntennaIngest.Core.Processing.JobLogLevel.Error, "job that does not exist");
        var lines = await fixture.LogAsync(jobId);

        Assert.Equal(100, lines.Count);
        Assert.Equal(("INFO", "line 0"), lines[0]);
        Assert.Equal(("INFO", "line 99"), lines[^1]);
        Assert.Equal(rowsBefore + 1, fixture.Metrics.DbRoundTrips.Value("job_log"));
        Assert.Equal(100, fixture.Metrics.JobLogRows.Value());
        var context = await fixture.Database.ScalarAsync<string>("SELECT DISTINCT context::text FROM jobs_joblog");
        Assert.Equal("{}", context);
    }
}
