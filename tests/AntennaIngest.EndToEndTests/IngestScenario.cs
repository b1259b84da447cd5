using System.Globalization;
using System.Text;
using AntennaIngest.Testing;
using NATS.Client.Core;
using NATS.Client.JetStream;
using RabbitMQ.Client;
using StackExchange.Redis;

namespace AntennaIngest.EndToEndTests;

/// <summary>
/// One Antenna job set up as production would have it — database rows, Redis state initialised
/// as Antenna does, its JetStream task stream with the tasks reserved by a "GPU worker" — and the
/// results that worker would post, for the native binary to ingest.
/// </summary>
public sealed class IngestScenario : IAsyncDisposable
{
    private IngestScenario(TestDatabase database, ConnectionMultiplexer redis, NatsConnection nats)
    {
        Database = database;
        Redis = redis;
        Nats = nats;
    }

    public TestDatabase Database { get; }

    public ConnectionMultiplexer Redis { get; }

    public NatsConnection Nats { get; }

    public long JobId { get; private set; }

    public List<long> Images { get; } = [];

    public Dictionary<long, string> Replies { get; } = [];

    public AntennaJobTasks Tasks { get; private set; } = null!;

    public string Queue { get; } = $"e2e_ml_results_{Guid.NewGuid():N}";

    public string ResultsStream { get; } = $"e2e_results_{Guid.NewGuid():N}";

    public static async Task<IngestScenario> CreateAsync(int images)
    {
        var database = await TestDatabase.CreateAsync("ingest_e2e");
        var redis = await ConnectionMultiplexer.ConnectAsync(RedisConfiguration());
        var nats = new NatsConnection(new NatsOpts { Url = ServiceEndpoints.NatsUrl });
        var scenario = new IngestScenario(database, redis, nats);
        var seeder = new AntennaSeeder(database.DataSource);
        var project = await seeder.ProjectAsync();
        var deployment = await seeder.DeploymentAsync(project);
        var start = new DateTimeOffset(2024, 6, 1, 2, 0, 0, TimeSpan.Zero);
        var evt = await seeder.EventAsync(deployment, project, start);
        for (var i = 0; i < images; i++)
        {
            scenario.Images.Add(await seeder.SourceImageAsync(deployment, evt, project, $"trap/img{i}.jpg", start.AddMinutes(i), "http://127.0.0.1:1/"));
        }

        var detector = await seeder.AlgorithmAsync("Detector", "detector", "detection");
        var species = await seeder.AlgorithmAsync("Species", "species", "classification", await seeder.CategoryMapAsync(["Actias luna", "Noctua pronuba"]));
        var pipeline = await seeder.PipelineAsync("main", detector, species);
        scenario.JobId = await seeder.JobAsync(project, pipeline, images);
        await AntennaJobState.InitializeAsync(redis.GetDatabase(0), scenario.JobId, scenario.Images.Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList());
        scenario.Tasks = new AntennaJobTasks(nats, scenario.JobId);
        await scenario.Tasks.CreateAsync(TimeSpan.FromMinutes(30));
        await scenario.Tasks.PublishTasksAsync(scenario.Images.Select(i => (i, $"http://127.0.0.1:1/{i}.jpg")));
        foreach (var (image, reply) in await scenario.Tasks.ReserveAsync(images))
        {
            scenario.Replies[long.Parse(image, CultureInfo.InvariantCulture)] = reply;
        }

        return scenario;
    }

    public static string RedisConfiguration()
    {
        var uri = new Uri(ServiceEndpoints.RedisUrl);
        return $"{uri.Host}:{uri.Port},abortConnect=false";
    }

    /// <summary>Environment for the binary: this scenario's database, queue and stream.</summary>
    public Dictionary<string, string> Environment(string intake = "celery")
    {
        var environment = ServiceEnvironment.For(Database.PgbouncerUrl);
        environment["INGEST_INTAKE"] = intake;
        environment["INGEST_CELERY_QUEUE"] = Queue;
        environment["INGEST_CELERY_FALLBACK_QUEUE"] = Queue + "_unhandled";
        environment["INGEST_CELERY_REJECTED_QUEUE"] = Queue + "_rejected";
        environment["INGEST_JETSTREAM_STREAM"] = ResultsStream;
        environment["INGEST_JETSTREAM_SUBJECT"] = ResultsStream + ".>";
        environment["INGEST_JETSTREAM_CONSUMER"] = ResultsStream + "-consumer";
        environment["INGEST_CROPS"] = "false";
        environment["INGEST_COUNTS_INTERVAL_MS"] = "200";
        return environment;
    }

    /// <summary>A GPU worker's result for an image: <paramref name="detections"/> boxes, each with one species classification.</summary>
    public static string Result(long imageId, int detections)
    {
        var boxes = Enumerable.Range(0, detections).Select(d => string.Create(CultureInfo.InvariantCulture, $$$"""
            {"source_image_id": "{{{imageId}}}", "bbox": {"x1": {{{10 * d}}}.0, "y1": 10.0, "x2": {{{10 * d + 5}}}.5, "y2": 20.0}, "inference_time": 0.1,
             "algorithm": {"name": "Detector", "key": "detector"}, "timestamp": {"__type__": "datetime", "__value__": "2024-06-01T12:00:00"}, "crop_image_url": null,
             "classifications": [{"classification": "Actias luna", "labels": null, "scores": [0.9, 0.1], "logits": [2.0, -1.0], "inference_time": 0.2,
               "algorithm": {"name": "Species", "key": "species"}, "terminal": true, "timestamp": {"__type__": "datetime", "__value__": "2024-06-01T12:00:01.5"}}]}
            """));
        return string.Create(CultureInfo.InvariantCulture, $$"""
            {"pipeline": "main", "algorithms": {}, "total_time": 1.2, "source_images": [{"id": "{{imageId}}", "url": "http://127.0.0.1:1/{{imageId}}.jpg"}],
             "detections": [{{string.Join(", ", boxes)}}], "errors": null}
            """);
    }

    public async Task PublishCeleryAsync(IEnumerable<(long Image, string Result)> results)
    {
        var factory = new ConnectionFactory { Uri = new Uri(ServiceEndpoints.BrokerUrl) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.QueueDeclareAsync(Queue, durable: true, exclusive: false, autoDelete: false, arguments: null);
        foreach (var (image, result) in results)
        {
            await CeleryMessage.ProcessResult(JobId, result, Replies[image]).PublishAsync(channel, Queue);
        }
    }

    public async Task PublishJetStreamAsync(IEnumerable<(long Image, string Result)> results)
    {
        var js = new NatsJSContext(Nats);
        await js.CreateOrUpdateStreamAsync(new NATS.Client.JetStream.Models.StreamConfig(ResultsStream, [ResultsStream + ".>"]));
        foreach (var (image, result) in results)
        {
            var body = $$"""{"job_id": {{JobId}}, "reply_subject": "{{Replies[image]}}", "result": {{result}}}""";
            (await js.PublishAsync($"{ResultsStream}.{JobId}", Encoding.UTF8.GetBytes(body))).EnsureSuccess();
        }
    }

    public async Task<uint> QueueDepthAsync()
    {
        var factory = new ConnectionFactory { Uri = new Uri(ServiceEndpoints.BrokerUrl) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        return (await channel.QueueDeclarePassiveAsync(Queue)).MessageCount;
    }

    public Task<string> JobStatusAsync() => Database.ScalarAsync<string>("SELECT status FROM jobs_job WHERE id = $1", JobId);

    public async ValueTask DisposeAsync()
    {
        await Tasks.DeleteAsync();
        try
        {
            await new NatsJSContext(Nats).DeleteStreamAsync(ResultsStream);
        }
        catch (NatsJSApiException)
        {
        }

        var factory = new ConnectionFactory { Uri = new Uri(ServiceEndpoints.BrokerUrl) };
        await using (var connection = await factory.CreateConnectionAsync())
        await using (var channel = await connection.CreateChannelAsync())
        {
            foreach (var queue in new[] { Queue, Queue + "_unhandled", Queue + "_rejected" })
            {
                await channel.QueueDeleteAsync(queue);
            }
        }

        await Redis.GetDatabase(0).KeyDeleteAsync([$"job:{JobId}:pending_images:process", $"job:{JobId}:pending_images:results", $"job:{JobId}:failed_images", $"job:{JobId}:pending_images_total", $"job:{JobId}:results_counts"]);
        await Nats.DisposeAsync();
        await Redis.DisposeAsync();
        await Database.DisposeAsync();
    }
}
