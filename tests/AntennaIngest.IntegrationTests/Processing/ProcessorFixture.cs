using AntennaIngest.Core.Configuration;
using AntennaIngest.Core.Contracts;
using AntennaIngest.Core.Intake;
using AntennaIngest.Core.Metrics;
using AntennaIngest.Core.Processing;
using AntennaIngest.IntegrationTests.Jobs;
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
            new NatsJobResourceCleaner(nats, JobState, rows.JobLog),
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

    public static async Task<ProcessorFixture> CreateAsync(IResultSaver saver, ICropScheduler crops, int images = 2, string status = "STARTED")
    {
        var rows = await JobRowFixture.CreateAsync();
        var redisSettings = new SettingsReader(new Dictionary<string, string?> { ["REDIS_URL"] = ServiceEndpoints.RedisUrl }).Read().Redis;
        var redis = await RedisConnector.ConnectAsync(redisSettings);
        var nats = NatsConnector.Create(new SettingsReader(new Dictionary<string, string?> { ["NATS_URL"] = ServiceEndpoints.NatsUrl }).Read().Nats, NullLoggerFactory.Instance);
        var fixture = new ProcessorFixture(rows, redis, redisSettings.Database, nats, saver, crops);
        fixture.JobId = await rows.JobAsync(images, status);
        var imageIds = Enumerable.Range(1, images).Select(i => (long)i).ToList();
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

    public ProcessPipelineResultTask ErrorResult(string imageId, string error = "Batch processing error: CUDA out of memory") =>
        new(JobId, PipelineResult.FromError(new PipelineResultsError(error, imageId)), Replies[imageId]);

    public ValueTask<string> HandleAsync(IngestTask task) => Processor.HandleAsync(task, null!, CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        await JobState.CleanupAsync(JobId, CancellationToken.None);
        await Tasks.DeleteAsync();
        await Nats.DisposeAsync();
        await Redis.DisposeAsync();
        await Rows.DisposeAsync();
    }
}
