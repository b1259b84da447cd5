using System.Globalization;
using System.Text.Json.Nodes;
using AntennaIngest.Testing;

namespace AntennaIngest.EndToEndTests;

/// <summary>The native binary ingesting a whole job end to end, through each intake.</summary>
public sealed class IngestTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(90);

    [Theory]
    [InlineData("celery")]
    [InlineData("jetstream")]
    public async Task A_job_is_ingested_every_task_acked_once_and_a_replay_changes_nothing(string intake)
    {
        await using var scenario = await IngestScenario.CreateAsync(images: 12);
        var results = scenario.Images.Select((image, i) => (image, IngestScenario.Result(image, detections: i % 4))).ToList();
        var expectedDetections = scenario.Images.Select((_, i) => i % 4).Sum();
        if (intake == "celery")
        {
            await scenario.PublishCeleryAsync(results);
        }
        else
        {
            await scenario.PublishJetStreamAsync(results);
        }

        await using (var binary = NativeBinary.Start(scenario.Environment(intake), "run"))
        {
            await binary.WaitUntilAsync(async () => await scenario.JobStatusAsync() == "SUCCESS", s_timeout, "job SUCCESS");
            await binary.WaitUntilAsync(
                async () => await scenario.Database.ScalarAsync<long?>("SELECT detections_count FROM main_event") == expectedDetections,
                s_timeout,
                "event counts refreshed once the queue drained");
            binary.Terminate();
            Assert.Equal(0, await binary.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        }

        var db = scenario.Database;
        Assert.Equal((long)expectedDetections, await db.ScalarAsync<long>("SELECT count(*) FROM main_detection WHERE bbox IS NOT NULL"));
        Assert.Equal(3L, await db.ScalarAsync<long>("SELECT count(*) FROM main_detection WHERE bbox IS NULL")); // images with no detection
        Assert.Equal((long)expectedDetections, await db.ScalarAsync<long>("SELECT count(*) FROM main_classification"));
        Assert.Equal((long)expectedDetections, await db.ScalarAsync<long>("SELECT detections_count FROM main_event"));
        var progress = JsonNode.Parse(await db.ScalarAsync<string>("SELECT progress::text FROM jobs_job WHERE id = $1", scenario.JobId))!;
        var resultsStage = progress["stages"]!.AsArray().Single(s => (string?)s!["key"] == "results")!;
        Assert.Equal(expectedDetections, (int)resultsStage["params"]!.AsArray().Single(p => (string?)p!["key"] == "detections")!["value"]!);
        Assert.Equal("SUCCESS", (string?)progress["summary"]!["status"]);
        Assert.Null((await AntennaJobState.ReadAsync(scenario.Redis.GetDatabase(0), scenario.JobId)).Total); // cleaned up
        Assert.False(await scenario.Tasks.StreamExistsAsync()); // cleaned up after the last ack
        if (intake == "celery")
        {
            Assert.Equal(0u, await scenario.QueueDepthAsync());
        }

        // The same results again (a Celery retry or a NATS redelivery): no new rows, the job stays final.
        var before = await DumpAsync(db);
        if (intake == "celery")
        {
            await scenario.PublishCeleryAsync(results.Take(3));
        }
        else
        {
            await scenario.PublishJetStreamAsync(results.Take(3));
        }

        await using (var replay = NativeBinary.Start(scenario.Environment(intake), "run"))
        {
            if (intake == "celery")
            {
                await replay.WaitUntilAsync(async () => await scenario.QueueDepthAsync() == 0, s_timeout, "replays consumed");
            }

            await replay.WaitUntilAsync(() => Task.FromResult(replay.Stdout.Contains("state_missing 3", StringComparison.Ordinal)), s_timeout, "replays settled");
            replay.Terminate();
            Assert.Equal(0, await replay.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        }

        Assert.Equal(before, await DumpAsync(db));
        Assert.Equal("SUCCESS", await scenario.JobStatusAsync());
    }

    [Fact]
    public async Task Every_task_is_acked_only_after_its_effects_and_exactly_once()
    {
        await using var scenario = await IngestScenario.CreateAsync(images: 6);
        var first = scenario.Images.Take(4).Select(image => (image, IngestScenario.Result(image, 2))).ToList();
        await scenario.PublishCeleryAsync(first);

        await using var binary = NativeBinary.Start(scenario.Environment(), "run");
        await binary.WaitUntilAsync(async () => (await scenario.Tasks.ConsumerInfoAsync())!.NumAckPending == 2, s_timeout, "four tasks acked");

        // Each acked task has its rows and its Redis settlement; the two without results are untouched.
        var info = (await scenario.Tasks.ConsumerInfoAsync())!;
        Assert.Equal(0, info.NumRedelivered);
        foreach (var (image, _) in first)
        {
            Assert.Equal(2L, await scenario.Database.ScalarAsync<long>("SELECT count(*) FROM main_detection WHERE source_image_id = $1", image));
            Assert.False(await scenario.Redis.GetDatabase(0).SetContainsAsync($"job:{scenario.JobId}:pending_images:results", image.ToString(CultureInfo.InvariantCulture)));
        }

        Assert.Equal((2L, 2L, 0L, 6L), await AntennaJobState.ReadAsync(scenario.Redis.GetDatabase(0), scenario.JobId)); // (remaining process, remaining results, failed, total)
        Assert.Equal("STARTED", await scenario.JobStatusAsync());
        binary.Terminate();
        Assert.Equal(0, await binary.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }

    private static async Task<string> DumpAsync(TestDatabase database)
    {
        var rows = new List<string>();
        foreach (var table in new[] { "main_detection", "main_classification", "main_occurrence", "main_taxon", "main_sourceimage", "jobs_job" })
        {
            foreach (var row in await database.RowsAsync($"SELECT t::text FROM {table} t ORDER BY id"))
            {
                rows.Add(table + " " + row[0]);
            }
        }

        return string.Join('\n', rows);
    }
}
