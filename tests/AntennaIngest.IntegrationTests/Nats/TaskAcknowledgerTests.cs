using AntennaIngest.Core.Configuration;
using AntennaIngest.Core.Metrics;
using AntennaIngest.Core.Processing;
using AntennaIngest.IntegrationTests.Testing;
using AntennaIngest.Nats.Acks;
using AntennaIngest.Nats.Cleanup;
using AntennaIngest.Nats.Connections;
using AntennaIngest.Redis.Connections;
using AntennaIngest.Redis.JobState;
using AntennaIngest.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using NATS.Client.Core;

namespace AntennaIngest.IntegrationTests.Nats;

public sealed class TaskAcknowledgerTests : IAsyncLifetime
{
    private readonly long _jobId = Random.Shared.NextInt64(1_000_000_000, 9_000_000_000);
    private NatsConnection _nats = null!;
    private AntennaJobTasks _tasks = null!;
    private NatsTaskAcknowledger _acknowledger = null!;
    private IngestMetrics _metrics = null!;

    public async Task InitializeAsync()
    {
        var settings = new SettingsReader(new Dictionary<string, string?> { ["NATS_URL"] = ServiceEndpoints.NatsUrl }).Read().Nats;
        _nats = NatsConnector.Create(settings, NullLoggerFactory.Instance);
        _tasks = new AntennaJobTasks(_nats, _jobId);
        await _tasks.CreateAsync(TimeSpan.FromMinutes(5));
        await _tasks.PublishTasksAsync([(1, "http://x/1.jpg"), (2, "http://x/2.jpg"), (3, "http://x/3.jpg")]);
        _metrics = new IngestMetrics(new MetricsRegistry());
        _acknowledger = new NatsTaskAcknowledger(_nats, _metrics);
    }

    public async Task DisposeAsync()
    {
        await _tasks.DeleteAsync();
        await _nats.DisposeAsync();
    }

    [Fact]
    public async Task Ack_is_confirmed_by_jetstream_and_moves_the_ack_floor()
    {
        var reserved = await _tasks.ReserveAsync(3);
        Assert.Equal(3, reserved.Count);
        Assert.Equal(3, (await _tasks.ConsumerInfoAsync())!.NumAckPending);

        Assert.Equal(AckResult.Confirmed, await _acknowledger.AckAsync(reserved[0].ReplySubject, CancellationToken.None));
        Assert.Equal(AckResult.Confirmed, await _acknowledger.TerminateAsync(reserved[1].ReplySubject, "cannot be saved", CancellationToken.None));

        var info = (await _tasks.ConsumerInfoAsync())!;
        Assert.Equal(1, info.NumAckPending);
        Assert.Equal(2UL, info.AckFloor!.ConsumerSeq);
        Assert.Equal(1, _metrics.NatsAcks.Value("ack", "confirmed"));
    }

    [Fact]
    public async Task Acks_for_a_deleted_stream_report_the_consumer_gone_without_failing()
    {
        var reserved = await _tasks.ReserveAsync(1);
        await _tasks.DeleteAsync();

        Assert.Equal(AckResult.ConsumerGone, await _acknowledger.AckAsync(reserved[0].ReplySubject, CancellationToken.None));
    }

    [Fact]
    public async Task An_ack_unanswered_on_a_live_connection_is_left_unconfirmed_and_sent_once()
    {
        // A subscriber that never replies: the server is up (it answers pings) but not the ack.
        var subject = $"ingest.test.silent.{_jobId}";
        var received = 0;
        await using var silent = await _nats.SubscribeCoreAsync<byte[]>(subject);
        var counting = Task.Run(async () =>
        {
            await foreach (var _ in silent.Msgs.ReadAllAsync())
            {
                Interlocked.Increment(ref received);
            }
        });
        await _nats.PingAsync();

        Assert.Equal(AckResult.Unconfirmed, await _acknowledger.AckAsync(subject, CancellationToken.None));
        await silent.UnsubscribeAsync();
        await counting;
        // The server answers pings and the connection never dropped: it got the ack, so it is not
        // sent again (a second copy is only sent across a reconnect; chaos net-partition-nats).
        Assert.Equal(1, received);
        Assert.Equal(1, _metrics.NatsAcks.Value("ack", "unconfirmed"));
    }

    [Fact]
    public async Task Many_acks_in_flight_on_one_connection_are_all_applied()
    {
        var more = Enumerable.Range(10, 200).Select(i => ((long)i, $"http://x/{i}.jpg"));
        await _tasks.PublishTasksAsync(more);
        var reserved = await _tasks.ReserveAsync(203);

        var results = await Task.WhenAll(reserved.Select(r => _acknowledger.AckAsync(r.ReplySubject, CancellationToken.None).AsTask()));

        Assert.All(results, r => Assert.Equal(AckResult.Confirmed, r));
        var info = (await _tasks.ConsumerInfoAsync())!;
        Assert.Equal(0, info.NumAckPending);
        Assert.Equal(0UL, info.NumPending);
    }

    [Fact]
    public async Task Cleanup_deletes_the_consumer_the_stream_and_the_redis_keys()
    {
        var redisSettings = TestRedis.Settings();
        await using var redis = await RedisConnector.ConnectAsync(redisSettings);
        var db = redis.GetDatabase(redisSettings.Database);
        await AntennaJobState.InitializeAsync(db, _jobId, ["1", "2", "3"]);
        var log = new RecordingJobLog();
        var cleaner = new JobResourceCleanup(new RedisJobStateStore(redis, redisSettings.Database), new NatsJobTaskQueue(_nats), log);

        await cleaner.CleanupAsync(_jobId, CancellationToken.None);

        Assert.Null(await _tasks.ConsumerInfoAsync());
        Assert.False(await _tasks.StreamExistsAsync());
        Assert.Null((await AntennaJobState.ReadAsync(db, _jobId)).Total);
        Assert.Contains(log.Lines, l => l.Message == $"Deleted NATS stream job_{_jobId} for job '{_jobId}'");

        await cleaner.CleanupAsync(_jobId, CancellationToken.None); // idempotent
    }

    private sealed class RecordingJobLog : IJobLog
    {
        public List<JobLogLine> Lines { get; } = [];

        public void Append(long jobId, JobLogLevel level, string message)
        {
            lock (Lines)
            {
                Lines.Add(new JobLogLine(level, message));
            }
        }

        public ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
