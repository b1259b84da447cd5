using System.Globalization;
using AntennaIngest.Core.Crops;
using AntennaIngest.Core.Processing;
using AntennaIngest.Redis.Connections;
using StackExchange.Redis;

namespace AntennaIngest.Redis.Bookkeeping;

/// <summary>
/// The durable crop set (members "{imageId}:{jobId}") and its claims: a claim moves a member
/// from the set into a sorted set scored with its lease deadline (the Redis server's clock, one
/// clock for every instance), so instances sharing the set never crop the same image together.
/// A member added again while it is claimed (a later result for the same image) stays in the set
/// until the claim ends, then is cropped once more for the detections it brought.
/// </summary>
public sealed class RedisCropQueue(IConnectionMultiplexer redis, int database) : ICropQueue
{
    // KEYS: pending, claimed. ARGV: limit, lease in microseconds. Expired claims go back first;
    // SRANDMEMBER over-samples so that members another instance holds can be skipped.
    private const string ClaimScript = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local limit = tonumber(ARGV[1])
        for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 1000)) do
          redis.call('ZREM', KEYS[2], m)
          redis.call('SADD', KEYS[1], m)
        end
        local taken = {}
        for _, m in ipairs(redis.call('SRANDMEMBER', KEYS[1], limit * 4)) do
          if #taken >= limit then break end
          if not redis.call('ZSCORE', KEYS[2], m) then
            redis.call('SREM', KEYS[1], m)
            redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), m)
            taken[#taken + 1] = m
          end
        end
        return taken
        """;

    // KEYS: claimed. ARGV: lease in microseconds, members. XX: a claim that ended is not revived.
    private const string RenewScript = """
        local t = redis.call('TIME')
        local deadline = tonumber(t[1]) * 1000000 + tonumber(t[2]) + tonumber(ARGV[1])
        for i = 2, #ARGV do redis.call('ZADD', KEYS[1], 'XX', deadline, ARGV[i]) end
        return 0
        """;

    // KEYS: pending, claimed. ARGV: members still held, returned to the set.
    private const string ReleaseScript = """
        for i = 1, #ARGV do
          if redis.call('ZREM', KEYS[2], ARGV[i]) == 1 then redis.call('SADD', KEYS[1], ARGV[i]) end
        end
        return 0
        """;

    public async ValueTask<IReadOnlyList<CropRequest>> ClaimAsync(int limit, TimeSpan lease, CancellationToken cancellationToken)
    {
        var result = await RedisFailures.GuardAsync(() => Db.ScriptEvaluateAsync(
            ClaimScript, [RedisKeys.CropsPending, RedisKeys.CropsClaimed], [limit, Microseconds(lease)]));
        var members = (RedisValue[])result!;
        var requests = new List<CropRequest>(members.Length);
        foreach (var member in members)
        {
            requests.Add(Parse((string)member!));
        }

        return requests;
    }

    public async ValueTask RenewAsync(IReadOnlyList<CropRequest> requests, TimeSpan lease, CancellationToken cancellationToken)
    {
        if (requests.Count > 0)
        {
            await RedisFailures.GuardAsync(() => Db.ScriptEvaluateAsync(
                RenewScript, [RedisKeys.CropsClaimed], [Microseconds(lease), .. Members(requests)]));
        }
    }

    public async ValueTask CompleteAsync(IReadOnlyList<CropRequest> requests, CancellationToken cancellationToken)
    {
        if (requests.Count > 0)
        {
            await RedisFailures.GuardAsync(() => Db.SortedSetRemoveAsync(RedisKeys.CropsClaimed, Members(requests)));
        }
    }

    public async ValueTask ReleaseAsync(IReadOnlyList<CropRequest> requests, CancellationToken cancellationToken)
    {
        if (requests.Count > 0)
        {
            await RedisFailures.GuardAsync(() => Db.ScriptEvaluateAsync(
                ReleaseScript, [RedisKeys.CropsPending, RedisKeys.CropsClaimed], Members(requests)));
        }
    }

    private IDatabase Db => redis.GetDatabase(database);

    private static RedisValue[] Members(IReadOnlyList<CropRequest> requests) => [.. requests.Select(r => (RedisValue)r.Member)];

    private static long Microseconds(TimeSpan lease) => (long)lease.TotalMicroseconds;

    private static CropRequest Parse(string member)
    {
        var colon = member.IndexOf(':', StringComparison.Ordinal);
        var image = colon < 0 ? member : member[..colon];
        var job = colon < 0 ? "0" : member[(colon + 1)..];
        // A malformed member becomes image 0: nothing to crop, and its claim is completed with the batch.
        var imageId = long.TryParse(image, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : 0;
        var jobId = long.TryParse(job, NumberStyles.None, CultureInfo.InvariantCulture, out var parsedJob) ? parsedJob : 0;
        return new CropRequest(imageId, jobId, member);
    }
}
