using AntennaIngest.Core.Configuration;
using AntennaIngest.Core.Processing;
using AntennaIngest.IntegrationTests.Testing;
using AntennaIngest.Redis.Connections;
using AntennaIngest.Redis.JobState;
using AntennaIngest.Testing;
using StackExchange.Redis;

namespace AntennaIngest.IntegrationTests.Redis;

public sealed class RedisJobStateStoreTests : IAsyncLifetime
{
    private readonly long _jobId = Random.Shared.NextInt64(1_000_000_000, 9_000_000_000);
    private ConnectionMultiplexer _redis = null!;
    private IDatabase _db = null!;
    private RedisJobStateStore _store = null!;

    public async Task InitializeAsync()
    {
        var settings = TestRedis.Settings();
        _redis = await RedisConnector.ConnectAsync(settings);
        _db = _redis.GetDatabase(settings.Database);
        _store = new RedisJobStateStore(_redis, settings.Database);
        await AntennaJobState.InitializeAsync(_db, _jobId, ["1", "2", "3", "4"]);
    }

    public async Task DisposeAsync()
    {
        await _store.CleanupAsync(_jobId, CancellationToken.None);
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task Process_stage_removes_ids_adds_failures_and_returns_the_whole_snapshot()
    {
        var snapshot = await _store.UpdateProcessStageAsync(_jobId, ["1", "2"], ["2"], CancellationToken.None);

        Assert.True(snapshot!.Run > 0, "the run is the total key's absolute expiry");
        Assert.Equal(new JobStateSnapshot(4, 2, 4, 1, 2, ResultCounts.Zero, snapshot.Run), snapshot);
        Assert.InRange((await _db.KeyTimeToLiveAsync(RedisKeys.FailedImages(_jobId)))!.Value.TotalSeconds, 604_000, 604_800);

        var replay = await _store.UpdateProcessStageAsync(_jobId, ["1", "2"], ["2"], CancellationToken.None);
        Assert.Equal(0, replay!.NewlyRemoved);
        Assert.Equal(2, replay.RemainingProcess);
        Assert.Equal(1, replay.Failed);
    }

    [Fact]
    public async Task Results_stage_counts_only_when_the_srem_removed_ids()
    {
        var first = await _store.UpdateResultsStageAsync(_jobId, ["1"], new ResultCounts(10, 20, 1), ResultCounts.Zero, CancellationToken.None);
        var replay = await _store.UpdateResultsStageAsync(_jobId, ["1"], new ResultCounts(10, 20, 1), ResultCounts.Zero, CancellationToken.None);
        var second = await _store.UpdateResultsStageAsync(_jobId, ["2"], new ResultCounts(5, 5, 1), ResultCounts.Zero, CancellationToken.None);

        Assert.Equal(new JobStateSnapshot(4, 4, 3, 0, 1, new ResultCounts(10, 20, 1), first!.Run), first);
        Assert.Equal(new JobStateSnapshot(4, 4, 3, 0, 0, new ResultCounts(10, 20, 1), first.Run), replay);
        Assert.Equal(new ResultCounts(15, 25, 2), second!.Counts);
        Assert.Equal(2, second.RemainingResults);
    }

    [Fact]
    public async Task Counters_start_from_the_seed_of_a_job_celery_began()
    {
        var snapshot = await _store.UpdateResultsStageAsync(_jobId, ["3"], new ResultCounts(1, 2, 1), new ResultCounts(100, 200, 7), CancellationToken.None);

        Assert.Equal(new ResultCounts(101, 202, 8), snapshot!.Counts);
    }

    [Fact]
    public async Task A_re_run_of_the_job_counts_from_its_seed_not_on_top_of_the_earlier_run()
    {
        var firstRun = await _store.UpdateResultsStageAsync(_jobId, ["1", "2"], new ResultCounts(10, 20, 2), ResultCounts.Zero, CancellationToken.None);
        await Task.Delay(5); // a new run's total key gets a later expiry than the first's
        // Job.retry(): Antenna's initialize_job writes the sets and the total again; our counters
        // hash is not one of its keys, so it survives.
        await AntennaJobState.InitializeAsync(_db, _jobId, ["1", "2", "3", "4"]);

        var processStage = await _store.UpdateProcessStageAsync(_jobId, ["1"], [], CancellationToken.None);
        var secondRun = await _store.UpdateResultsStageAsync(_jobId, ["1"], new ResultCounts(3, 6, 1), ResultCounts.Zero, CancellationToken.None);

        Assert.Equal(ResultCounts.Zero, processStage!.Counts);
        Assert.Equal(new ResultCounts(3, 6, 1), secondRun!.Counts);
        Assert.Equal(3, secondRun.RemainingResults);
        Assert.True(secondRun.Run > firstRun!.Run);
        Assert.Equal(secondRun.Run, processStage.Run);
    }

    [Fact]
    public async Task Missing_total_key_means_state_gone_for_every_update()
    {
        await _db.KeyDeleteAsync(RedisKeys.Total(_jobId));

        Assert.Null(await _store.UpdateProcessStageAsync(_jobId, ["1"], [], CancellationToken.None));
        Assert.Null(await _store.UpdateResultsStageAsync(_jobId, ["1"], new ResultCounts(1, 1, 1), ResultCounts.Zero, CancellationToken.None));
        Assert.Null(await _store.MarkFailedAsync(_jobId, ["1"], CancellationToken.None));
        Assert.False(await _db.KeyExistsAsync(RedisKeys.ResultCounts(_jobId)));
    }

    [Fact]
    public async Task Mark_failed_settles_the_images_in_both_stages()
    {
        var snapshot = await _store.MarkFailedAsync(_jobId, ["4"], CancellationToken.None);

        Assert.Equal(new JobStateSnapshot(4, 3, 3, 1, 1, ResultCounts.Zero, snapshot!.Run), snapshot);
    }

    [Fact]
    public async Task Cleanup_deletes_every_key_of_the_job()
    {
        await _store.UpdateResultsStageAsync(_jobId, ["1"], new ResultCounts(1, 1, 1), ResultCounts.Zero, CancellationToken.None);
        await _store.CleanupAsync(_jobId, CancellationToken.None);

        foreach (var key in new[] { RedisKeys.PendingImages(_jobId, "process"), RedisKeys.PendingImages(_jobId, "results"), RedisKeys.FailedImages(_jobId), RedisKeys.Total(_jobId), RedisKeys.ResultCounts(_jobId) })
        {
            Assert.False(await _db.KeyExistsAsync(key), key);
        }
    }

    [Fact]
    public async Task Concurrent_duplicate_deliveries_count_each_image_once()
    {
        var updates = Enumerable.Range(0, 40).Select(i => _store.UpdateResultsStageAsync(_jobId, [(i % 4 + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)], new ResultCounts(3, 6, 1), ResultCounts.Zero, CancellationToken.None).AsTask());

        var snapshots = await Task.WhenAll(updates);

        Assert.Equal(4, snapshots.Sum(s => s!.NewlyRemoved));
        var final = await _store.UpdateResultsStageAsync(_jobId, [], ResultCounts.Zero, ResultCounts.Zero, CancellationToken.None);
        Assert.Equal(new ResultCounts(12, 24, 4), final!.Counts);
        Assert.Equal(0, final.RemainingResults);
    }
}
