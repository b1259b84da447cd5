using System.Text.Json.Nodes;
using AntennaIngest.Core.Processing;
using AntennaIngest.Testing;

namespace AntennaIngest.IntegrationTests.Processing;

/// <summary>Branches of process_nats_pipeline_result that save nothing, on real Redis, PostgreSQL and NATS.</summary>
public sealed class ResultBranchTests
{
    private static readonly NeverSaver s_saver = new();
    private static readonly NeverCrops s_crops = new();

    private static JsonNode Stage(string progress, string key) =>
        JsonNode.Parse(progress)!["stages"]!.AsArray().Single(s => (string?)s!["key"] == key)!;

    private static string Param(JsonNode stage, string key) =>
        stage["params"]!.AsArray().Single(p => (string?)p!["key"] == key)!["value"]!.ToJsonString();

    [Fact]
    public async Task Error_result_counts_processed_and_failed_in_both_stages_saves_nothing_and_acks()
    {
        await using var fixture = await ProcessorFixture.CreateAsync(s_saver, s_crops, images: 3);

        var outcome = await fixture.HandleAsync(fixture.ErrorResult(fixture.Images[0]));

        Assert.Equal("error_result", outcome);
        Assert.Equal((2L, 2L, 1L, 3L), await AntennaJobState.ReadAsync(fixture.Db, fixture.JobId));
        Assert.Equal(1UL, (await fixture.Tasks.ConsumerInfoAsync())!.AckFloor!.ConsumerSeq);
        await fixture.Rows.Progress.FlushAsync(fixture.JobId, CancellationToken.None);
        var row = await fixture.Rows.RowAsync(fixture.JobId);
        var process = Stage(row.Progress, "process");
        Assert.Equal("1", Param(process, "processed"));
        Assert.Equal("2", Param(process, "remaining"));
        Assert.Equal("1", Param(process, "failed"));
        Assert.Equal(1.0 / 3.0, (double)Stage(row.Progress, "results")["progress"]!, 10);
        Assert.Equal("0", Param(Stage(row.Progress, "results"), "detections"));
        Assert.Contains(("ERROR", $"Pipeline returned error for job {fixture.JobId}, image {fixture.Images[0]}: Batch processing error: CUDA out of memory"), await fixture.Rows.LogAsync(fixture.JobId));
        Assert.Equal(0L, await fixture.Rows.Database.ScalarAsync<long>("SELECT count(*) FROM main_detection"));
    }

    [Fact]
    public async Task The_last_result_completes_the_job_acks_it_and_only_then_deletes_the_stream()
    {
        await using var fixture = await ProcessorFixture.CreateAsync(s_saver, s_crops, images: 2);

        await fixture.HandleAsync(fixture.ErrorResult(fixture.Images[0]));
        await fixture.HandleAsync(fixture.ErrorResult(fixture.Images[1]));

        var row = await fixture.Rows.RowAsync(fixture.JobId);
        Assert.Equal("FAILURE", row.Status); // 2 of 2 failed > 50 %
        Assert.NotNull(row.FinishedAt);
        Assert.Equal(2, fixture.Metrics.NatsAcks.Value("ack", "confirmed")); // the completing ack was not lost
        Assert.False(await fixture.Tasks.StreamExistsAsync());
        Assert.Null((await AntennaJobState.ReadAsync(fixture.Db, fixture.JobId)).Total);
    }

    [Fact]
    public async Task An_error_result_writes_antennas_job_log_lines_in_antennas_order()
    {
        await using var fixture = await ProcessorFixture.CreateAsync(s_saver, s_crops, images: 3);
        var id = fixture.JobId;
        var image = fixture.Images[0];
        var reply = fixture.Replies[image.ToString(System.Globalization.CultureInfo.InvariantCulture)];

        await fixture.HandleAsync(fixture.ErrorResult(image));

        Assert.Equal(
        [
            ("INFO", $"Updated job {id} progress in stage 'process' to 33.33333333333333%"),
            ("INFO", $"Processing pipeline result for job {id}, reply_subject: {reply}"),
            ("INFO", $" Job {id} progress: 1/3 images processed (33.33333333333333%), 2 remaining, 1 failed, 1 just processed"),
            ("ERROR", $"Pipeline returned error for job {id}, image {image}: Batch processing error: CUDA out of memory"),
            ("INFO", $"Updated job {id} progress in stage 'results' to 33.33333333333333%"),
            ("INFO", $"Successfully acknowledged task via NATS: {reply}"),
        ], await fixture.Rows.LogAsync(id));
    }

    [Fact]
    public async Task A_job_already_cancelling_is_cleaned_up_when_its_last_result_completes_every_stage()
    {
        // Antenna cleans up whenever all stages are complete, whatever the job's status.
        await using var fixture = await ProcessorFixture.CreateAsync(s_saver, s_crops, images: 2, status: "CANCELING");

        await fixture.HandleAsync(fixture.ErrorResult(fixture.Images[0]));
        await fixture.HandleAsync(fixture.ErrorResult(fixture.Images[1]));

        Assert.Equal("CANCELING", (await fixture.Rows.RowAsync(fixture.JobId)).Status);
        Assert.False(await fixture.Tasks.StreamExistsAsync());
        Assert.Null((await AntennaJobState.ReadAsync(fixture.Db, fixture.JobId)).Total);
        var log = await fixture.Rows.LogAsync(fixture.JobId);
        Assert.Contains(("WARNING", "Stage 'results' completed but the job was already in a terminal state; not applying FAILURE."), log);
        Assert.Contains(("INFO", $"Cleaned up NATS resources for job {fixture.JobId}"), log);
    }

    [Fact]
    public async Task A_replayed_error_result_changes_nothing()
    {
        await using var fixture = await ProcessorFixture.CreateAsync(s_saver, s_crops, images: 3);
        await fixture.HandleAsync(fixture.ErrorResult(fixture.Images[0]));
        await fixture.Rows.Progress.FlushAsync(fixture.JobId, CancellationToken.None);
        var before = await fixture.Rows.RowAsync(fixture.JobId);

        await fixture.HandleAsync(fixture.ErrorResult(fixture.Images[0]));
        await fixture.Rows.Progress.FlushAsync(fixture.JobId, CancellationToken.None);

        Assert.Equal((2L, 2L, 1L, 3L), await AntennaJobState.ReadAsync(fixture.Db, fixture.JobId));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(before.Progress), JsonNode.Parse((await fixture.Rows.RowAsync(fixture.JobId)).Progress)));
    }

    [Fact]
    public async Task State_gone_acks_fails_the_job_and_cleans_up()
    {
        await using var fixture = await ProcessorFixture.CreateAsync(s_saver, s_crops);
        await fixture.Db.KeyDeleteAsync(RedisKeys.Total(fixture.JobId));

        var outcome = await fixture.HandleAsync(fixture.ErrorResult(fixture.Images[0]));

        Assert.Equal("state_missing", outcome);
        var row = await fixture.Rows.RowAsync(fixture.JobId);
        Assert.Equal("FAILURE", row.Status);
        Assert.Contains(("ERROR", $"Job {fixture.JobId} marked as FAILURE: {ResultProcessor.StateMissingReason}"), await fixture.Rows.LogAsync(fixture.JobId));
        Assert.Equal(1, fixture.Metrics.NatsAcks.Value("ack", "confirmed"));
        Assert.False(await fixture.Tasks.StreamExistsAsync());
    }

    [Fact]
    public async Task State_gone_for_a_cancelling_job_acks_and_changes_nothing()
    {
        await using var fixture = await ProcessorFixture.CreateAsync(s_saver, s_crops, status: "CANCELING");
        await fixture.Db.KeyDeleteAsync(RedisKeys.Total(fixture.JobId));

        Assert.Equal("state_missing", await fixture.HandleAsync(fixture.ErrorResult(fixture.Images[0])));

        Assert.Equal("CANCELING", (await fixture.Rows.RowAsync(fixture.JobId)).Status);
        Assert.Equal(1, fixture.Metrics.NatsAcks.Value("ack", "confirmed"));
        Assert.True(await fixture.Tasks.StreamExistsAsync()); // cancellation owns the cleanup
    }

    [Fact]
    public async Task Job_row_missing_acks_and_returns()
    {
        await using var fixture = await ProcessorFixture.CreateAsync(s_saver, s_crops);
        await fixture.Rows.Database.ExecuteAsync("DELETE FROM jobs_job WHERE id = $1", fixture.JobId);

        Assert.Equal("job_missing", await fixture.HandleAsync(fixture.ErrorResult(fixture.Images[0])));

        Assert.Equal(1, fixture.Metrics.NatsAcks.Value("ack", "confirmed"));
    }

    private sealed class NeverSaver : IResultSaver
    {
        public ValueTask<SaveOutcome> SaveAsync(SaveRequest request, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("error results must not be saved");
    }

    private sealed class NeverCrops : ICropScheduler
    {
        public ValueTask ScheduleAsync(IReadOnlyList<long> imageIds, long? jobId, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("no crops in these branches");
    }
}
