using AntennaIngest.Core.Processing;

namespace AntennaIngest.IntegrationTests.Jobs;

public sealed class JobLogTests
{
    [Fact]
    public async Task Lines_are_written_in_the_order_they_were_appended_with_antennas_level_names()
    {
        await using var fixture = await JobRowFixture.CreateAsync();
        var jobId = await fixture.JobAsync(1);

        fixture.JobLog.Append(jobId, JobLogLevel.Info, "first");
        fixture.JobLog.Append(jobId, JobLogLevel.Warning, "second");
        fixture.JobLog.Append(jobId, JobLogLevel.Error, "third");

        Assert.Equal([("INFO", "first"), ("WARNING", "second"), ("ERROR", "third")], await fixture.LogAsync(jobId));
    }

    [Fact]
    public async Task With_antennas_job_log_persist_switch_off_no_row_is_written()
    {
        await using var fixture = await JobRowFixture.CreateAsync(jobLogPersist: false);
        var jobId = await fixture.JobAsync(1);

        fixture.JobLog.Append(jobId, JobLogLevel.Info, "only on stdout");

        Assert.Empty(await fixture.LogAsync(jobId));
    }
}
