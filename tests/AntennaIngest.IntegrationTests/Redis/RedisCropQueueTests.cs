using AntennaIngest.Core.Configuration;
using AntennaIngest.Core.Crops;
using AntennaIngest.Core.Processing;
using AntennaIngest.IntegrationTests.Testing;
using AntennaIngest.Redis.Bookkeeping;
using AntennaIngest.Testing;
using StackExchange.Redis;

namespace AntennaIngest.IntegrationTests.Redis;

/// <summary>
/// Claims on the shared crop set, against a real Redis: what keeps instances from cropping the
/// same image twice (chaos scale-out-kill9 found 1,396 unreferenced crop files before claims).
/// </summary>
public sealed class RedisCropQueueTests : IAsyncLifetime
{
    // A database of its own: the crop keys are global per database.
    private const int Database = 4;
    private static readonly TimeSpan s_long = TimeSpan.FromMinutes(5);
    private ConnectionMultiplexer _redis = null!;
    private IDatabase _db = null!;

    public async Task InitializeAsync()
    {
        _redis = await TestRedis.ConnectAsync();
        _db = _redis.GetDatabase(Database);
        await _db.KeyDeleteAsync([RedisKeys.CropsPending, RedisKeys.CropsClaimed]);
    }

    public async Task DisposeAsync()
    {
        await _db.KeyDeleteAsync([RedisKeys.CropsPending, RedisKeys.CropsClaimed]);
        await _redis.DisposeAsync();
    }

    private RedisCropQueue Instance() => new(_redis, Database);

    private Task ScheduleAsync(params long[] images) => new RedisCropScheduler(_redis, Database).ScheduleAsync(images, 9, CancellationToken.None).AsTask();

    [Fact]
    public async Task Instances_claiming_at_once_never_get_the_same_request()
    {
        var images = Enumerable.Range(1, 200).Select(i => (long)i).ToArray();
        await ScheduleAsync(images);

        var claims = await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            var mine = new List<long>();
            var queue = Instance();
            while (await queue.ClaimAsync(7, s_long, CancellationToken.None) is { Count: > 0 } batch)
            {
                mine.AddRange(batch.Select(r => r.ImageId));
            }

            return mine;
        }));

        var all = claims.SelectMany(c => c).ToList();
        Assert.Equal(images.Length, all.Count);
        Assert.Equal(images, all.Order());
        Assert.Equal(0, await _db.SetLengthAsync(RedisKeys.CropsPending));
        Assert.Equal(images.Length, await _db.SortedSetLengthAsync(RedisKeys.CropsClaimed));
    }

    [Fact]
    public async Task A_claim_whose_holder_stopped_renewing_is_claimed_again_after_its_lease()
    {
        await ScheduleAsync(1, 2);
        var dead = await Instance().ClaimAsync(10, TimeSpan.FromMilliseconds(300), CancellationToken.None);
        Assert.Equal(2, dead.Count);
        Assert.Empty(await Instance().ClaimAsync(10, s_long, CancellationToken.None));

        await Task.Delay(TimeSpan.FromMilliseconds(600));
        var next = await Instance().ClaimAsync(10, s_long, CancellationToken.None);
        Assert.Equal([1L, 2L], next.Select(r => r.ImageId).Order());
        Assert.All(next, r => Assert.Equal(9, r.JobId));
    }

    [Fact]
    public async Task A_renewed_claim_outlives_its_first_lease()
    {
        await ScheduleAsync(1);
        var queue = Instance();
        var held = await queue.ClaimAsync(10, TimeSpan.FromMilliseconds(400), CancellationToken.None);
        for (var i = 0; i < 4; i++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200));
            await queue.RenewAsync(held, TimeSpan.FromMilliseconds(400), CancellationToken.None);
        }

        Assert.Empty(await Instance().ClaimAsync(10, s_long, CancellationToken.None));
    }

    [Fact]
    public async Task A_request_scheduled_again_while_claimed_waits_for_the_claim_then_is_claimed_once_more()
    {
        await ScheduleAsync(5);
        var queue = Instance();
        var first = await queue.ClaimAsync(10, s_long, CancellationToken.None);

        // A later result for the same image brings detections the running crop did not see.
        await ScheduleAsync(5);
        Assert.Empty(await Instance().ClaimAsync(10, s_long, CancellationToken.None));

        await queue.CompleteAsync(first, CancellationToken.None);
        var second = await Instance().ClaimAsync(10, s_long, CancellationToken.None);
        Assert.Equal(5, Assert.Single(second).ImageId);
    }

    [Fact]
    public async Task Released_requests_are_claimable_at_once_and_completed_ones_are_gone()
    {
        await ScheduleAsync(1, 2, 3);
        var queue = Instance();
        var held = await queue.ClaimAsync(10, s_long, CancellationToken.None);
        await queue.CompleteAsync([.. held.Where(r => r.ImageId == 1)], CancellationToken.None);
        await queue.ReleaseAsync([.. held.Where(r => r.ImageId != 1)], CancellationToken.None);

        var again = await Instance().ClaimAsync(10, s_long, CancellationToken.None);
        Assert.Equal([2L, 3L], again.Select(r => r.ImageId).Order());
        await queue.CompleteAsync(again, CancellationToken.None);
        Assert.Equal(0, await _db.SortedSetLengthAsync(RedisKeys.CropsClaimed));
        Assert.Equal(0, await _db.SetLengthAsync(RedisKeys.CropsPending));
    }

    [Fact]
    public async Task A_malformed_member_is_claimed_as_image_zero_so_its_batch_can_clear_it()
    {
        await _db.SetAddAsync(RedisKeys.CropsPending, "garbage");
        var claimed = Assert.Single(await Instance().ClaimAsync(10, s_long, CancellationToken.None));
        Assert.Equal(new CropRequest(0, 0, "garbage"), claimed);
    }
}
