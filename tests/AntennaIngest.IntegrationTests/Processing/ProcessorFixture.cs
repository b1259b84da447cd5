using AntennaIngest.Core.Configuration;
using AntennaIngest.Core.Contracts;
using AntennaIngest.Core.Intake;
using AntennaIngest.Core.Metrics;
using AntennaIngest.Core.Processing;
using AntennaIngest.IntegrationTests.Jobs;
using AntennaIngest.IntegrationTests.Testing;
using AntennaIngest.Nats.Acks;
using AntennaIngest.Nats.Cleanup;
using AntennaIngest.Nats.Connections;
using AntennaIngest.Redis.Bookkeeping;
using AntennaIngest.Redis.Connections;
using AntennaIngest.Redis.JobState;
using AntennaIngest.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using NATS.Client.Core;
using StackExchange.Redis;

namespace AntennaIngest.IntegrationTests.Processing;

/// <summary>
/// The result processor wired to the real adapters: Redis job state, PostgreSQL (through
/// pgbouncer) for jobs, progress and logs, NATS for acks and cleanup. One job with its Antenna
/// task stream, tasks reserved so real reply subjects exist.
/// </summary>
public sealed class ProcessorFixture : IAsyncDisposable
{
    private ProcessorFixture(JobRowFixture rows, ConnectionMultiplexer redis, int redisDatabase, NatsConnection nats, IResultSaver saver, ICropScheduler crops)
    {
        Rows = rows;
        Redis = redis;
        Db = redis.GetDatabase(redisDatabase);
        Nats = nats;
        JobState = new RedisJobStateStore(redis, redisDatabase);
        Metrics = rows.Metrics;
        Processor = new ResultProcessor(
            JobState,
            rows.Jobs,
            saver,
            rows.Progress,
            rows.JobLog,
            new NatsTaskAcknowledger(nats, Metrics),
            new JobResourceCleanup(JobState, new NatsJobTaskQueue(nats), rows.JobLog),
            new RedisPostCommitQueue(redis, redisDatabase),
            crops,
            Metrics,
            NullLogger<ResultProcessor>.Instance);
    }

    public JobRowFixture Rows { get; }

    public ConnectionMultiplexer Redis { get; }

    public IDatabase Db { get; }

    public NatsConnection Nats { get; }

    public RedisJobStateStore JobState { get; }

    public IngestMetrics Metrics { get; }

    public ResultProcessor Processor { get; }

    public long JobId { get; private set; }

    public AntennaJobTasks Tasks { get; private set; } = null!;

    /// <summary>Reply subject per image id, from the reserved tasks.</summary>
    public Dictionary<string, string> Replies { get; } = [];

    /// <summary>Project, deployment, event and images seeded; pipeline "main" (detector + species classifier).</summary>
    public IReadOnlyList<long> Images { get; private set; } = [];

    public long Project { get; private set; }

    public static Task<ProcessorFixture> CreateAsync(IResultSaver saver, ICropScheduler crops, int images = 2, string status = "STARTED") =>
        CreateAsync(_ => saver, crops, images, status);

    /// <summary><paramref name="saver"/> is built once the database exists (e.g. the real group-commit saver).</summary>
    public static async Task<ProcessorFixture> CreateAsync(Func<JobRowFixture, IResultSaver> saver, ICropScheduler crops, int images = 2, string status = "STARTED")
    {
        var rows = await JobRowFixture.CreateAsync();
        var redisSettings = TestRedis.Settings();
        var redis = await RedisConnector.ConnectAsync(redisSettings);
        var nats = NatsConnector.Create(new SettingsReader(new Dictionary<string, string?> { ["NATS_URL"] = ServiceEndpoints.NatsUrl }).Read().Nats, NullLoggerFactory.Instance);
        var fixture = new ProcessorFixture(rows, redis, redisSettings.Database, nats, saver(rows), crops);

        var seeder = rows.Seeder;
        fixture.Project = await seeder.ProjectAsync();
        var deployment = await seeder.DeploymentAsync(fixture.Project);
        var start = new DateTimeOffset(2024, 6, 1, 2, 0, 0, TimeSpan.Zero);
        var evt = await seeder.EventAsync(deployment, fixture.Project, start);
        var imageIds = new List<long>();
        for (var i = 0; i < images; i++)
        {
            imageIds.Add(await seeder.SourceImageAsync(deployment, evt, fixture.Project, $"trap/2024-06-01/img{i}.jpg", start.AddMinutes(i), "http://images.local/"));
        }

        fixture.Images = imageIds;
        var detector = await seeder.AlgorithmAsync("Detector", "detector", "detection");
        var speciesMap = await seeder.CategoryMapAsync(["Actias luna", "Noctua pronuba"]);
        var species = await seeder.AlgorithmAsync("Species", "species", "classification", speciesMap);
        var pipeline = await seeder.PipelineAsync("main", detector, species);
        fixture.JobId = await seeder.JobAsync(fixture.Project, pipeline, images, status);
        await AntennaJobState.InitializeAsync(fixture.Db, fixture.JobId, imageIds.Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList());
        fixture.Tasks = new AntennaJobTasks(nats, fixture.JobId);
        await fixture.Tasks.CreateAsync(TimeSpan.FromMinutes(5));
        await fixture.Tasks.PublishTasksAsync(imageIds.Select(i => (i, $"http://images.local/{i}.jpg")));
        foreach (var (imageId, reply) in await fixture.Tasks.ReserveAsync(images))
        {
            fixture.Replies[imageId] = reply;
        }

        return fixture;
    }

    /// <summary>A success result for one image: <paramref name="detections"/> boxes, each with one species classification.</summary>
    public ProcessPipelineResultTask SuccessResult(long imageId, int detections, string pipeline = "main", string detector = "detector", double score = 0.9)
    {
        var id = imageId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var timestamp = new ResultTimestamp(new DateTime(2024, 6, 1, 12, 0, 0, DateTimeKind.Unspecified), "2024-06-01T12:00:00");
        var boxes = Enumerable.Range(0, detections).Select(d => new DetectionResponse(
            id,
            new BoundingBox(10 * d, 10, 10 * d + 5.5, 20),
            0.1,
            new AlgorithmReference("Detector", detector),
            timestamp,
            null,
            [new ClassificationResponse("Actias luna", null, [score, 1 - score], null, 0.2, new AlgorithmReference("Species", "species"), true, timestamp)])).ToList();
        var response = new PipelineResultsResponse(pipeline, 1.2, [new SourceImageResponse(id, $"http://images.local/{id}.jpg")], boxes);
        return new ProcessPipelineResultTask(JobId, PipelineResult.FromSuccess(response), Replies[id]);
    }

    public ProcessPipelineResultTask ErrorResult(long imageId, string error = "Batch processing error: CUDA out of memory")
    {
        var id = imageId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return new(JobId, PipelineResult.FromError(new PipelineResultsError(error, id)), Replies[id]);
    }

    public async ValueTask<string> HandleAsync(IngestTask task) => (await Processor.HandleAsync(task, null!, CancellationToken.None)).Label;

    public async ValueTask DisposeAsync()
    {
        await JobState.CleanupAsync(JobId, CancellationToken.None);
        await Tasks.DeleteAsync();
        await Nats.DisposeAsync();
        await Redis.DisposeAsync();
        await Rows.DisposeAsync();
    }
}
