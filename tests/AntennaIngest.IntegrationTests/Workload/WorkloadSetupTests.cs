using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using AntennaIngest.Testing;
using AntennaIngest.Workload.Enqueue;
using AntennaIngest.Workload.Setup;
using AntennaIngest.Workload.Verify;
using NATS.Client.JetStream;
using RabbitMQ.Client;

namespace AntennaIngest.IntegrationTests.Workload;

public sealed class WorkloadSetupTests
{
    [Fact]
    public async Task Setup_and_enqueue_leave_a_consistent_database_redis_nats_and_rabbitmq_state()
    {
        await using var fixture = await WorkloadFixture.CreateAsync(jobs: 2, imagesPerJob: 12);
        var manifest = fixture.Manifest;
        var db = fixture.Database;

        // Database: images, jobs as MLJob.run leaves them, the pipeline and its taxa.
        Assert.Equal(24L, await db.ScalarAsync<long>("SELECT count(*) FROM main_sourceimage WHERE public_base_url = 'http://127.0.0.1:9/'"));
        Assert.Equal(2L, await db.ScalarAsync<long>("SELECT count(*) FROM jobs_job WHERE status = 'STARTED' AND dispatch_mode = 'async_api' AND pipeline_id = $1", manifest.Pipeline.Id));
        Assert.Equal(3L, await db.ScalarAsync<long>("SELECT count(*) FROM ml_pipeline_algorithms WHERE pipeline_id = $1", manifest.Pipeline.Id));
        Assert.Equal(52L, await db.ScalarAsync<long>("SELECT count(*) FROM main_taxon WHERE active"));
        Assert.Equal(52L, await db.ScalarAsync<long>("SELECT count(*) FROM main_taxalist_taxa"));
        Assert.Equal(50L, await db.ScalarAsync<long>("SELECT cardinality(m.labels) FROM ml_algorithm a JOIN ml_algorithmcategorymap m ON m.id = a.category_map_id WHERE a.id = $1", manifest.Pipeline.Species.Id));
        var dbImages = (await db.RowsAsync("SELECT id FROM main_sourceimage ORDER BY id")).Select(r => (long)r[0]!).ToList();
        Assert.Equal(dbImages, manifest.Jobs.SelectMany(j => j.Images).Select(i => i.Id).Order().ToList());

        // Redis and NATS: state initialised as Antenna does, every task reserved with a real reply subject.
        var (connection, redis) = await ServiceClients.RedisAsync(manifest.RedisUrl);
        await using (connection)
        await using (var nats = ServiceClients.Nats(manifest.NatsUrl))
        {
            foreach (var job in manifest.Jobs)
            {
                Assert.Equal((12L, 12L, 0L, (long?)12), await AntennaJobState.ReadAsync(redis, job.Id));
                var info = await new AntennaJobTasks(nats, job.Id).ConsumerInfoAsync();
                Assert.NotNull(info);
                Assert.Equal(12, info.NumAckPending);
                Assert.Equal(0UL, info.NumPending);
                Assert.All(job.Images, i => Assert.StartsWith($"$JS.ACK.job_{job.Id}.job-{job.Id}-consumer.1.", i.ReplySubject, StringComparison.Ordinal));
            }
        }

        Assert.Equal(24, manifest.Jobs.SelectMany(j => j.Images).Select(i => i.ReplySubject).Distinct().Count());

        // Enqueue on a unique Celery queue and a unique JetStream results stream.
        var suffix = Guid.NewGuid().ToString("N")[..12];
        var settings = new EnqueueSettings("both", ServiceEndpoints.BrokerUrl, $"wl_test_{suffix}", manifest.NatsUrl, $"wl_results_{suffix}", $"wltest.{suffix}.results", 0, 0);
        var times = new List<(string Reply, long Ns, int Bytes)>();
        Expectations expectations;
        await using (var enqueuer = new Enqueuer(new ResultSource(manifest, seed: 4), settings))
        {
            await enqueuer.ConnectAsync(CancellationToken.None);
            expectations = await enqueuer.RunAsync(EnqueueCommand.UnixNanoseconds, (r, ns, b) => times.Add((r, ns, b)), CancellationToken.None);
        }

        Assert.Equal(24, expectations.Results.Count);
        Assert.Equal(manifest.Jobs.SelectMany(j => j.Images).Select(i => i.ReplySubject).Order(StringComparer.Ordinal), times.Select(t => t.Reply).Order(StringComparer.Ordinal));
        Assert.Equal(expectations, new ResultSource(manifest, seed: 4).Expectations("both") with { Target = "both" }, new ExpectationsComparer());

        var factory = new ConnectionFactory { Uri = new Uri(ServiceEndpoints.BrokerUrl) };
        await using var amqp = await factory.CreateConnectionAsync();
        await using var channel = await amqp.CreateChannelAsync();
        await using var natsCheck = ServiceClients.Nats(manifest.NatsUrl);
        var js = new NatsJSContext(natsCheck);
        try
        {
            Assert.Equal(24u, (await channel.QueueDeclarePassiveAsync(settings.Queue)).MessageCount);
            var stream = await js.GetStreamAsync(settings.ResultsStream);
            Assert.Equal(24L, (long)stream.Info.State.Messages);

            // A queued message is a real Celery message for this task with the result of a manifest image.
            var delivery = await channel.BasicGetAsync(settings.Queue, autoAck: true);
            Assert.NotNull(delivery);
            Assert.Equal(CeleryMessage.ProcessResultTask, Encoding.UTF8.GetString((byte[])delivery.BasicProperties.Headers!["task"]!));
            Assert.Equal("application/x-gzip", Encoding.UTF8.GetString((byte[])delivery.BasicProperties.Headers!["compression"]!));
            using var body = JsonDocument.Parse(Inflate(delivery.Body.ToArray()));
            var kwargs = body.RootElement[1];
            var reply = kwargs.GetProperty("reply_subject").GetString()!;
            var expected = expectations.Results.Single(r => r.ReplySubject == reply);
            Assert.Equal(expected.Job, kwargs.GetProperty("job_id").GetInt64());
            var result = kwargs.GetProperty("result_data");
            if (expected.Error)
            {
                Assert.Equal(expected.Image.ToString(CultureInfo.InvariantCulture), result.GetProperty("image_id").GetString());
            }
            else
            {
                Assert.Equal(expected.Image.ToString(CultureInfo.InvariantCulture), result.GetProperty("source_images")[0].GetProperty("id").GetString());
                Assert.Equal(expected.Detections, result.GetProperty("detections").GetArrayLength());
            }

            // Nothing was processed: the invariant checker must say so, and name what is missing.
            var report = await new Verifier(manifest, expectations, observedAcks: null).RunAsync(CancellationToken.None);
            Assert.False(report.Ok);
            Assert.Contains(report.Checks, c => c is { Name: "job status", Ok: false });
            Assert.Contains(report.Checks, c => c is { Name: "Redis pending sets", Ok: false });
            Assert.Contains(report.Checks, c => c is { Name: "tasks acked", Ok: false });
            Assert.Contains(report.Checks, c => c is { Name: "no duplicates", Ok: true });
        }
        finally
        {
            await channel.QueueDeleteAsync(settings.Queue, false, false);
            await channel.ExchangeDeleteAsync(settings.Queue, false);
            await js.DeleteStreamAsync(settings.ResultsStream);
        }
    }

    private static byte[] Inflate(byte[] data)
    {
        using var input = new ZLibStream(new MemoryStream(data), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }

    private sealed class ExpectationsComparer : IEqualityComparer<Expectations>
    {
        public bool Equals(Expectations? x, Expectations? y) => x is not null && y is not null && x.Results.SequenceEqual(y.Results);

        public int GetHashCode(Expectations obj) => obj.Results.Count;
    }
}
