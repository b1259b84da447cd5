using System.Globalization;
using AntennaIngest.Core.Celery;
using AntennaIngest.Core.Processing;
using AntennaIngest.Redis.Connections;
using StackExchange.Redis;

namespace AntennaIngest.Redis.Results;

/// <summary>
/// Celery's redis result backend: `celery-task-meta-&lt;id&gt;` written with SETEX (SET when results
/// never expire) and PUBLISHed on the same channel, which is what AsyncResult.get() subscribes to.
/// As Celery's _store_result, a stored SUCCESS is never overwritten (a lost duplicate must not
/// replace it); anything else is replaced, so a replay stores the same state again.
/// </summary>
public sealed class RedisResultBackend(IConnectionMultiplexer redis, int database, TimeSpan expires, string worker, TimeProvider? time = null) : ICeleryResultBackend
{
    public const string KeyPrefix = "celery-task-meta-";

    // KEYS: the meta key. ARGV: the meta JSON, expiry seconds (0: none).
    // Celery's meta starts with the status, so its first bytes tell a stored SUCCESS without
    // copying a multi-megabyte value (result_extended carries the whole result) into Lua.
    private const string StoreScript = """
        local head = redis.call('GETRANGE', KEYS[1], 0, 40)
        if string.find(head, '"status":%s*"SUCCESS"') then return 0 end
        local seconds = tonumber(ARGV[2])
        if seconds > 0 then
            redis.call('SETEX', KEYS[1], seconds, ARGV[1])
        else
            redis.call('SET', KEYS[1], ARGV[1])
        end
        redis.call('PUBLISH', KEYS[1], ARGV[1])
        return 1
        """;

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly long _expirySeconds = (long)expires.TotalSeconds;

    public async ValueTask StoreAsync(CeleryCall task, CeleryState state, CeleryError? failure, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        var meta = CeleryResultJson.ForKeyValueBackend(task, state, failure, worker, _time.GetUtcNow());
        try
        {
            await redis.GetDatabase(database).ScriptEvaluateAsync(
                StoreScript,
                [KeyPrefix + task.TaskId],
                [meta, _expirySeconds.ToString(CultureInfo.InvariantCulture)]);
        }
        catch (Exception e) when (RedisFailures.IsTransient(e))
        {
            throw RedisFailures.Unavailable(e);
        }
    }
}
