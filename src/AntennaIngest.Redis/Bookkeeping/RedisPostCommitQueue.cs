using System.Globalization;
using AntennaIngest.Core.Processing;
using AntennaIngest.Redis.Connections;
using StackExchange.Redis;

namespace AntennaIngest.Redis.Bookkeeping;

/// <summary>
/// After a commit, one script marks the events and deployments whose counts are stale (sorted
/// sets scored with the Redis server's clock, so the mark and the refresher's fence share one
/// clock across instances) and the images that need crops. Marked before the message is acked,
/// so a crash right after the commit still leaves the work recorded; a replay marks again,
/// which is harmless.
/// </summary>
public sealed class RedisPostCommitQueue(IConnectionMultiplexer redis, int database) : IPostCommitQueue
{
    // KEYS: dirty events, dirty deployments, crops pending. ARGV: event count, deployment count, then ids, then crop members.
    private const string MarkScript = """
        local t = redis.call('TIME')
        local score = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local events = tonumber(ARGV[1])
        local deployments = tonumber(ARGV[2])
        local i = 3
        for n = 1, events do redis.call('ZADD', KEYS[1], score, ARGV[i]); i = i + 1 end
        for n = 1, deployments do redis.call('ZADD', KEYS[2], score, ARGV[i]); i = i + 1 end
        while i <= #ARGV do redis.call('SADD', KEYS[3], ARGV[i]); i = i + 1 end
        return score
        """;

    public async ValueTask MarkAsync(long? jobId, IReadOnlyList<long> eventIds, IReadOnlyList<long> deploymentIds, IReadOnlyList<long> cropImageIds, CancellationToken cancellationToken)
    {
        if (eventIds.Count == 0 && deploymentIds.Count == 0 && cropImageIds.Count == 0)
        {
            return;
        }

        var job = (jobId ?? 0).ToString(CultureInfo.InvariantCulture);
        var arguments = new List<RedisValue>(2 + eventIds.Count + deploymentIds.Count + cropImageIds.Count) { eventIds.Count, deploymentIds.Count };
        arguments.AddRange(eventIds.Select(id => (RedisValue)id));
        arguments.AddRange(deploymentIds.Select(id => (RedisValue)id));
        arguments.AddRange(cropImageIds.Select(id => (RedisValue)$"{id.ToString(CultureInfo.InvariantCulture)}:{job}"));
        try
        {
            await redis.GetDatabase(database).ScriptEvaluateAsync(
                MarkScript,
                [RedisKeys.DirtyEvents, RedisKeys.DirtyDeployments, RedisKeys.CropsPending],
                [.. arguments]);
        }
        catch (Exception e) when (RedisFailures.IsTransient(e))
        {
            throw RedisFailures.Unavailable(e);
        }
    }
}
