using System.Diagnostics;
using System.Text.Json.Nodes;
using AntennaIngest.Core.Configuration;
using AntennaIngest.Core.Processing;
using AntennaIngest.IntegrationTests.Jobs;
using AntennaIngest.Postgres.Connections;
using AntennaIngest.Postgres.Writing;
using AntennaIngest.Redis.Bookkeeping;
using AntennaIngest.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace AntennaIngest.IntegrationTests.Processing;

/// <summary>Results that are saved, through the real group-commit saver, Redis, PostgreSQL (pgbouncer) and NATS.</summary>
public sealed class SuccessPathTests(ITestOutputHelper output)
{
    private static async Task<ProcessorFixture> CreateAsync(int images)
    {
        GroupCommitSaver? saver = null;
        var fixture = await ProcessorFixture.CreateAsync(rows => saver = NewSaver(rows), NoCrops.Instance, images);
        await saver!.StartAsync(CancellationToken.None);
        return fixture;
    }

    private static GroupCommitSaver NewSaver(JobRowFixture rows)
    {
        var settings = rows.Settings;
        var writer = new ResultWriter(PostgresDataSource.Create(settings, NullLoggerFactory.Instance), settings, rows.Metrics, AntennaIngest.Core.Processing.NoTableChangeNotifier.Instance, NullLogger<ResultWriter>.Instance);
        return new GroupCommitSaver(writer, settings, NullLogger<GroupCommitSaver>.Instance);
    }

    private static JsonNode Stage(string progress, string key) =>
        JsonNode.Parse(progress)!["stages"]!.AsArray().Single(s => (string?)s!["key"] == key)!;

    private static long Param(JsonNode stage, string key) =>
        (long)stage["params"]!.AsArray().Single(p => (string?)p!["key"] == key)!["value"]!;

    [Fact]
    public async Task A_success_result_saves_its_rows_advances_both_stages_marks_bookkeeping_and_acks()
    {
        await using var fixture = await CreateAsync(images: 2);
        var image = fixture.Images[0];

        Assert.Equal("saved", await fixture.HandleAsync(fixture.SuccessResult(image, detections: 3)));

        var db = fixture.Rows.Database;
        Assert.Equal(3L, await db.ScalarAsync<long>("SELECT count(*) FROM main_detection WHERE source_image_id = $1 AND bbox IS NOT NULL", image));
        Assert.Equal(3L, await db.ScalarAsync<long>("SELECT count(*) FROM main_classification"));
        Assert.Equal(3L, await db.ScalarAsync<long>("SELECT count(*) FROM main_occurrence"));
        Assert.Equal((1L, 1L, 0L, 2L), await AntennaJobState.ReadAsync(fixture.Db, fixture.JobId));
        Assert.Equal(new ResultCounts(3, 3, 1), await CountsAsync(fixture));
        Assert.True(await fixture.Db.SetContainsAsync(RedisKeys.CropsPending, $"{image}:{fixture.JobId}"));
        Assert.NotNull(await fixture.Db.SortedSetScoreAsync(RedisKeys.DirtyEvents, await db.ScalarAsync<long>("SELECT event_id FROM main_sourceimage WHERE id = $1", image)));
        Assert.Equal(1UL, (await fixture.Tasks.ConsumerInfoAsync())!.AckFloor!.ConsumerSeq);

        await fixture.Rows.Progress.FlushAsync(fixture.JobId, CancellationToken.None);
        var results = Stage((await fixture.Rows.RowAsync(fixture.JobId)).Progress, "results");
        Assert.Equal(3, Param(results, "detections"));
        Assert.Equal(3, Param(results, "classifications"));
        Assert.Equal(1, Param(results, "captures"));
        Assert.Equal(0.5, (double)results["progress"]!);
    }

    [Fact]
    public async Task Replaying_a_saved_result_changes_no_row_no_counter_and_no_redis_state()
    {
        await using var fixture = await CreateAsync(images: 2);
        var task = fixture.SuccessResult(fixture.Images[0], detections: 2);
        await fixture.HandleAsync(task);
        var rows = await DumpAsync(fixture);

        Assert.Equal("saved", await fixture.HandleAsync(task));
        var racing = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => fixture.HandleAsync(task).AsTask()));

        Assert.All(racing, outcome => Assert.Equal("saved", outcome));
        Assert.Equal(rows, await DumpAsync(fixture));
        Assert.Equal(new ResultCounts(2, 2, 1), await CountsAsync(fixture));
        Assert.Equal((1L, 1L, 0L, 2L), await AntennaJobState.ReadAsync(fixture.Db, fixture.JobId));
    }

    [Fact]
    public async Task A_result_that_can_never_be_saved_is_marked_failed_terminated_and_logged()
    {
        await using var fixture = await CreateAsync(images: 3);

        var outcome = await fixture.HandleAsync(fixture.SuccessResult(fixture.Images[0], detections: 1, detector: "unknown-detector"));

        Assert.Equal("unsavable", outcome);
        Assert.Equal(0L, await fixture.Rows.Database.ScalarAsync<long>("SELECT count(*) FROM main_detection"));
        Assert.Equal((2L, 2L, 1L, 3L), await AntennaJobState.ReadAsync(fixture.Db, fixture.JobId));
        Assert.Equal(1, fixture.Metrics.NatsAcks.Value("term", "confirmed"));
        Assert.Equal(1UL, (await fixture.Tasks.ConsumerInfoAsync())!.AckFloor!.ConsumerSeq);
        Assert.Contains(await fixture.Rows.LogAsync(fixture.JobId), l => l.Level == "ERROR" && l.Message.Contains("can never be saved", StringComparison.Ordinal) && l.Message.Contains("unknown-detector", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Many_results_from_three_concurrent_consumers_with_duplicates_end_exact_and_write_the_job_row_rarely()
    {
        const int images = 60;
        await using var first = await CreateAsync(images);
        await first.Rows.Database.ExecuteAsync(
            """
            CREATE TABLE job_row_writes (at timestamptz NOT NULL);
            CREATE FUNCTION log_job_row_write() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO job_row_writes VALUES (clock_timestamp()); RETURN NEW; END $$;
            CREATE TRIGGER job_row_writes AFTER UPDATE ON jobs_job FOR EACH ROW EXECUTE FUNCTION log_job_row_write();
            """);

        // Two more "instances": their own savers, progress writers and processors on the same servers.
        var consumers = new List<ResultProcessor> { first.Processor };
        var extra = new List<(JobRowFixtureView View, GroupCommitSaver Saver)>();
        for (var i = 0; i < 2; i++)
        {
            var view = new JobRowFixtureView(first.Rows);
            var saver = NewSaver(first.Rows);
            await saver.StartAsync(CancellationToken.None);
            await view.Progress.StartAsync(CancellationToken.None);
            extra.Add((view, saver));
            consumers.Add(new ResultProcessor(
                first.JobState, view.Jobs, saver, view.Progress, first.Rows.JobLog,
                new AntennaIngest.Nats.Acks.NatsTaskAcknowledger(first.Nats, first.Metrics),
                new JobResourceCleanup(first.JobState, new AntennaIngest.Nats.Cleanup.NatsJobTaskQueue(first.Nats), first.Rows.JobLog),
                new RedisPostCommitQueue(first.Redis, first.Db.Database), NoCrops.Instance, first.Metrics, NullLogger<ResultProcessor>.Instance));
        }

        await first.Rows.Progress.StartAsync(CancellationToken.None);
        var deliveries = first.Images.SelectMany((image, i) => new[] { (Image: image, Detections: i % 5), (Image: image, Detections: i % 5) })
            .OrderBy(_ => Random.Shared.Next()).ToList();
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(deliveries, new ParallelOptions { MaxDegreeOfParallelism = 24 }, async (delivery, _) =>
        {
            var consumer = consumers[Random.Shared.Next(consumers.Count)];
            await consumer.HandleAsync(first.SuccessResult(delivery.Image, delivery.Detections), null!, CancellationToken.None);
        });
        clock.Stop();

        var expectedDetections = first.Images.Select((_, i) => (long)(i % 5)).Sum();
        var row = await first.Rows.RowAsync(first.JobId);
        Assert.Equal("SUCCESS", row.Status);
        var results = Stage(row.Progress, "results");
        Assert.Equal(expectedDetections, Param(results, "detections"));
        Assert.Equal(expectedDetections, Param(results, "classifications"));
        Assert.Equal(images, Param(results, "captures"));
        Assert.Equal(images, Param(Stage(row.Progress, "process"), "processed"));
        Assert.Equal(expectedDetections, await first.Rows.Database.ScalarAsync<long>("SELECT count(*) FROM main_detection WHERE bbox IS NOT NULL"));

        var writes = (await first.Rows.Database.RowsAsync("SELECT at FROM job_row_writes ORDER BY at")).Select(r => (DateTime)r[0]!).ToList();
        var busiestSecond = writes.Select(start => writes.Count(t => t >= start && t < start.AddSeconds(1))).DefaultIfEmpty(0).Max();
        output.WriteLine($"{deliveries.Count} deliveries ({images} images, each twice) by 3 consumers in {clock.Elapsed.TotalSeconds:0.0} s: " +
            $"{writes.Count} job row writes, at most {busiestSecond} in any one second");
        Assert.True(busiestSecond <= 5, $"job row written {busiestSecond} times in one second");

        foreach (var (view, saver) in extra)
        {
            await saver.StopAsync(CancellationToken.None);
            await view.Progress.StopAsync(CancellationToken.None);
        }
    }

    private static async Task<ResultCounts> CountsAsync(ProcessorFixture fixture)
    {
        var values = await fixture.Db.HashGetAsync(RedisKeys.ResultCounts(fixture.JobId), ["detections", "classifications", "captures"]);
        return new ResultCounts((long)values[0], (long)values[1], (long)values[2]);
    }

    private static async Task<string> DumpAsync(ProcessorFixture fixture)
    {
        var builder = new System.Text.StringBuilder();
        foreach (var table in new[] { "main_detection", "main_classification", "main_occurrence", "main_taxon", "main_taxalist_taxa", "main_sourceimage" })
        {
            foreach (var row in await fixture.Rows.Database.RowsAsync($"SELECT t::text FROM {table} t ORDER BY id"))
            {
                builder.Append(table).Append(' ').Append(row[0]).Append('\n');
            }
        }

        return builder.ToString();
    }

    /// <summary>Another process's job-side sinks on the same database (own pool, own coalescing).</summary>
    private sealed class JobRowFixtureView
    {
        public JobRowFixtureView(JobRowFixture rows)
        {
            var dataSource = PostgresDataSource.Create(rows.Settings, NullLoggerFactory.Instance);
            Jobs = new AntennaIngest.Postgres.Jobs.PostgresJobStore(dataSource, rows.JobLog, AntennaIngest.Core.Processing.NoTableChangeNotifier.Instance);
            Progress = new AntennaIngest.Postgres.Jobs.PostgresProgressWriter(dataSource, rows.Settings, rows.JobLog, rows.Metrics, AntennaIngest.Core.Processing.NoTableChangeNotifier.Instance, NullLogger<AntennaIngest.Postgres.Jobs.PostgresProgressWriter>.Instance);
        }

        public AntennaIngest.Postgres.Jobs.PostgresJobStore Jobs { get; }

        public AntennaIngest.Postgres.Jobs.PostgresProgressWriter Progress { get; }
    }

    private sealed class NoCrops : ICropScheduler
    {
        public static readonly NoCrops Instance = new();

        public ValueTask ScheduleAsync(IReadOnlyList<long> imageIds, long? jobId, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
