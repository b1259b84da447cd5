using System.Globalization;
using AntennaIngest.Core.Crops;
using AntennaIngest.Core.Processing;
using AntennaIngest.Redis.Connections;
using StackExchange.Redis;

namespace AntennaIngest.Redis.Bookkeeping;

/// <summary>The durable crop set (members "{imageId}:{jobId}") read in batches and cleared after handling.</summary>
public sealed class RedisCropQueue(IConnectionMultiplexer redis, int database) : ICropQueue
{
    public async ValueTask<IReadOnlyList<CropRequest>> PeekAsync(int limit, CancellationToken cancellationToken)
    {
        RedisValue[] members;
        try
        {
            members = await redis.GetDatabase(database).SetRandomMembersAsync(RedisKeys.CropsPending, limit);
        }
        catch (Exception e) when (RedisFailures.IsTransient(e))
        {
            throw RedisFailures.Unavailable(e);
        }

        var requests = new List<CropRequest>(members.Length);
        foreach (var member in members)
        {
            var text = (string)member!;
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            var image = colon < 0 ? text : text[..colon];
            var job = colon < 0 ? "0" : text[(colon + 1)..];
            // A malformed member becomes image 0: nothing to crop, and it is cleared with the batch.
            var imageId = long.TryParse(image, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : 0;
            requests.Add(new CropRequest(imageId, long.TryParse(job, NumberStyles.None, CultureInfo.InvariantCulture, out var jobId) ? jobId : 0, text));
        }

        return requests;
    }

    public async ValueTask CompleteAsync(IReadOnlyList<CropRequest> requests, CancellationToken cancellationToken)
    {
        try
        {
            await redis.GetDatabase(database).SetRemoveAsync(RedisKeys.CropsPending, requests.Select(r => (RedisValue)r.Member).ToArray());
        }
        catch (Exception e) when (RedisFailures.IsTransient(e))
        {
            throw RedisFailures.Unavailable(e);
        }
    }
}
