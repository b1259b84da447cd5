using StackExchange.Redis;

namespace AntennaIngest.Testing;

/// <summary>
/// Redis job state exactly as Antenna's AsyncJobStateManager.initialize_job writes it:
/// one MULTI with DEL/SADD/EXPIRE of both pending sets, DEL failed, SET total EX 7 days.
/// </summary>
public static class AntennaJobState
{
    public static readonly TimeSpan Ttl = TimeSpan.FromSeconds(604800);

    public static async Task InitializeAsync(IDatabase redis, long jobId, IReadOnlyCollection<string> imageIds)
    {
        var transaction = redis.CreateTransaction();
        var members = imageIds.Select(id => (RedisValue)id).ToArray();
        var tasks = new List<Task>();
        foreach (var stage in new[] { "process", "results" })
        {
            var key = $"job:{jobId}:pending_images:{stage}";
            tasks.Add(transaction.KeyDeleteAsync(key));
            if (members.Length > 0)
            {
                tasks.Add(transaction.SetAddAsync(key, members));
                tasks.Add(transaction.KeyExpireAsync(key, Ttl));
            }
        }

        tasks.Add(transaction.KeyDeleteAsync($"job:{jobId}:failed_images"));
        tasks.Add(transaction.StringSetAsync($"job:{jobId}:pending_images_total", imageIds.Count, Ttl));
        if (!await transaction.ExecuteAsync())
        {
            throw new InvalidOperationException("initialize_job transaction was not applied");
        }

        await Task.WhenAll(tasks);
    }

    public static async Task<(long RemainingProcess, long RemainingResults, long Failed, long? Total)> ReadAsync(IDatabase redis, long jobId)
    {
        var total = await redis.StringGetAsync($"job:{jobId}:pending_images_total");
        return (
            await redis.SetLengthAsync($"job:{jobId}:pending_images:process"),
            await redis.SetLengthAsync($"job:{jobId}:pending_images:results"),
            await redis.SetLengthAsync($"job:{jobId}:failed_images"),
            total.IsNull ? null : (long)total);
    }
}
