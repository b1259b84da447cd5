using System.Globalization;
using AntennaIngest.Core.Processing;
using AntennaIngest.Redis.Connections;
using StackExchange.Redis;

namespace AntennaIngest.Redis.Bookkeeping;

/// <summary>
/// Antenna's create_detection_images task: records the images in the durable crop set; the crop
/// service makes the crops later, off the result path.
/// </summary>
public sealed class RedisCropScheduler(IConnectionMultiplexer redis, int database) : ICropScheduler
{
    public async ValueTask ScheduleAsync(IReadOnlyList<long> imageIds, long? jobId, CancellationToken cancellationToken)
    {
        if (imageIds.Count == 0)
        {
            return;
        }

        var job = (jobId ?? 0).ToString(CultureInfo.InvariantCulture);
        var members = imageIds.Select(id => (RedisValue)$"{id.ToString(CultureInfo.InvariantCulture)}:{job}").ToArray();
        try
        {
            await redis.GetDatabase(database).SetAddAsync(RedisKeys.CropsPending, members);
        }
        catch (Exception e) when (RedisFailures.IsTransient(e))
        {
            throw RedisFailures.Unavailable(e);
        }
    }
}
