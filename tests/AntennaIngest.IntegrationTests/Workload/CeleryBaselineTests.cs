using AntennaIngest.Testing;
using AntennaIngest.Workload.Enqueue;
using AntennaIngest.Workload.Measure;
using RabbitMQ.Client;

namespace AntennaIngest.IntegrationTests.Workload;

/// <summary>
/// The Python re-implementation of Antenna's task (bench/celery_baseline) against its own database
/// and a unique queue: it must drain a small backlog and leave the rows antenna-db-write-path.md
/// predicts. One worker process, so Antenna's unlocked progress read-modify-write cannot race.
/// </summary>
public sealed class CeleryBaselineTests
{
    [Fact]
    public async Task Celery_baseline_processes_a_small_backlog_and_leaves_the_rows_the_reference_predicts()
    {
        await using var fixture = await WorkloadFixture.CreateAsync(jobs: 1, imagesPerJob: 8);
        var manifest = fixture.Manifest;
        var db = fixture.Database;
        var queue = $"wl_baseline_{Guid.NewGuid():N}"[..32];
        var settings = new EnqueueSettings("celery", ServiceEndpoints.BrokerUrl, queue, manifest.NatsUrl, "unused", "unused", 0, 0);
        var worker = Path.Combine(WorkloadFixture.RepositoryRoot(), "bench", "celery_baseline", "run_worker.sh");
        var output = Path.Combine(fixture.Directory, "out");
        Directory.CreateDirectory(output);
        ContenderResult result;
        try
        {
            result = await MeasureCommand.MeasureAsync(
                manifest,
                new ResultSource(manifest, seed: 4),
                settings,
                "celery-baseline-test",
                $"'{worker}' prefork 1",
                new Limits(TimeSpan.FromSeconds(180), TimeSpan.FromSeconds(90), TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(250)),
                output);
        }
        finally
        {
            var factory = new ConnectionFactory { Uri = new Uri(ServiceEndpoints.BrokerUrl) };
            await using var amqp = await factory.CreateConnectionAsync();
            await using var channel = await amqp.CreateChannelAsync();
            foreach (var name in new[] { queue, queue + "_crops_sink" })
            {
                await channel.QueueDeleteAsync(name, false, false);
                await channel.ExchangeDeleteAsync(name, false);
            }
        }

        var log = File.ReadAllText(Path.Combine(output, "celery-baseline-test.log"));
        Assert.True(result.Status == "ok", $"{result.Status}: {result.Message}\n{log[^Math.Min(log.Length, 3000)..]}");
        Assert.Equal(8, result.Acked);
        Assert.True(result.VerifyViolations == 0, string.Join("\n", result.VerifyFailures));

        // The statement sequence, not just the row counts: determinations from the terminal
        // classification, image counts recalculated, job log lines per result, round trips per result.
        var expectations = new ResultSource(manifest, seed: 4).Expectations("celery");
        var moths = expectations.Results.Sum(r => r.Moths);
        Assert.Equal((long)moths, await db.ScalarAsync<long>(
            "SELECT count(*) FROM main_occurrence o JOIN main_classification c ON c.taxon_id = o.determination_id AND c.terminal AND c.score = o.determination_score"));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM main_classification c JOIN main_detection d ON d.id = c.detection_id WHERE c.score <> (SELECT max(s) FROM unnest(c.scores) s) OR c.category_map_id IS NULL"));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM main_sourceimage si WHERE si.detections_count IS NULL AND EXISTS (SELECT 1 FROM main_detection d WHERE d.source_image_id = si.id)"));
        Assert.Equal(2L, await db.ScalarAsync<long>("SELECT count(*) FROM main_event WHERE calculated_fields_updated_at IS NOT NULL"));
        var logLines = await db.ScalarAsync<long>("SELECT count(*) FROM jobs_joblog");
        Assert.True(logLines >= 16 * 8, $"{logLines} job log lines for 8 results; Antenna writes about 16 + 4 per image with detections each");
        Assert.InRange(result.RoundTripsPerResult, 60, 600);
    }
}
