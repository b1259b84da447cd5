using AntennaIngest.Core.Processing;
using AntennaIngest.Redis.Connections;
using StackExchange.Redis;

namespace AntennaIngest.Redis.Bookkeeping;

/// <summary>
/// Reads and clears the dirty-count sorted sets. A batch carries the server time at which it was
/// taken; completing it removes only members not marked again since then, so a result committed
/// during a refresh is refreshed once more rather than missed.
/// </summary>
public sealed class RedisDirtySet(IConnectionMultiplexer redis, int database) : IDirtyCountSource
{
    private const string TakeScript = """
        local t = redis.call('TIME')
        local fence = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local members = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. fence, 'LIMIT', 0, tonumber(ARGV[1]))
        table.insert(members, 1, tostring(fence))
        return members
        """;

    private const string CompleteScript = """
        local fence = tonumber(ARGV[1])
        local removed = 0
        for i = 2, #ARGV do
          local score = redis.call('ZSCORE', KEYS[1], ARGV[i])
          if score and tonumber(score) < fence then
            removed = removed + redis.call('ZREM', KEYS[1], ARGV[i])
          end
        end
        return removed
        """;

    public async ValueTask<DirtyBatch> TakeAsync(DirtyKind kind, int limit, CancellationToken cancellationToken)
    {
        var result = (RedisResult[])(await Run(() => Db.ScriptEvaluateAsync(TakeScript, [Key(kind)], [limit])))!;
        var ids = new long[result.Length - 1];
        for (var i = 1; i < result.Length; i++)
        {
            ids[i - 1] = (long)result[i];
        }

        return new DirtyBatch(kind, double.Parse((string)result[0]!, System.Globalization.CultureInfo.InvariantCulture), ids);
    }

    public async ValueTask CompleteAsync(DirtyBatch batch, CancellationToken cancellationToken)
    {
        if (batch.Ids.Count == 0)
        {
            return;
        }

        var arguments = new RedisValue[batch.Ids.Count + 1];
        arguments[0] = batch.Fence;
        for (var i = 0; i < batch.Ids.Count; i++)
        {
            arguments[i + 1] = batch.Ids[i];
        }

        await Run(() => Db.ScriptEvaluateAsync(CompleteScript, [Key(batch.Kind)], arguments));
    }

    private IDatabase Db => redis.GetDatabase(database);

    private static RedisKey Key(DirtyKind kind) => kind == DirtyKind.Events ? RedisKeys.DirtyEvents : RedisKeys.DirtyDeployments;

    private static async Task<RedisResult> Run(Func<Task<RedisResult>> operation)
    {
        try
        {
            return await operation();
        }
        catch (Exception e) when (RedisFailures.IsTransient(e))
        {
            throw RedisFailures.Unavailable(e);
        }
    }
}
