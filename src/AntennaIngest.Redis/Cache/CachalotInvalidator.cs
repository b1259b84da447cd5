using AntennaIngest.Core.Processing;
using AntennaIngest.Redis.Connections;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace AntennaIngest.Redis.Cache;

/// <summary>
/// Invalidates django-cachalot's cached queries over the tables a commit wrote, as every write
/// through Antenna's ORM does (cachalot's set_many of table keys, without expiry as Antenna's
/// CACHALOT_TIMEOUT is None): one MSET per call, in Django's cache database (REDIS_URL).
/// <para>
/// Never throws: the commit is already durable, and failing its caller would replay work whose
/// outcome (a completed job, crops to schedule) is reported only once. Like Antenna's cache,
/// which ignores Redis errors, a failed invalidation is not fatal; unlike it, the tables are
/// kept and sent with the next call, so entries that survive an outage do not stay stale.
/// <paramref name="unsentAtStart"/> go with the first call, for a crash between a commit and its
/// invalidation in an earlier life of the process.
/// </para>
/// </summary>
public sealed partial class CachalotInvalidator(
    IConnectionMultiplexer redis,
    int database,
    ILogger<CachalotInvalidator> logger,
    IEnumerable<string>? unsentAtStart = null,
    TimeProvider? time = null) : ITableChangeNotifier
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly HashSet<string> _unsent = [.. (unsentAtStart ?? []).Where(CachalotKeys.IsCachable)];
    private int _failing;

    public async ValueTask TablesChangedAsync(IReadOnlyCollection<string> tables, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tables);
        string[] pending;
        lock (_unsent)
        {
            foreach (var table in tables)
            {
                if (CachalotKeys.IsCachable(table))
                {
                    _unsent.Add(table);
                }
            }

            pending = [.. _unsent];
            _unsent.Clear();
        }

        if (pending.Length == 0)
        {
            return;
        }

        // Taken after the commit: a query cached before it carries an earlier time and is refused.
        RedisValue stamp = CachalotKeys.PickledTimestamp(_time.GetUtcNow());
        var entries = new KeyValuePair<RedisKey, RedisValue>[pending.Length];
        for (var i = 0; i < pending.Length; i++)
        {
            entries[i] = new(CachalotKeys.TableKey(pending[i]), stamp);
        }

        try
        {
            await redis.GetDatabase(database).StringSetAsync(entries);
            if (Interlocked.Exchange(ref _failing, 0) == 1)
            {
                Log.Recovered(logger);
            }
        }
        catch (Exception e) when (e is RedisException || RedisFailures.IsTransient(e))
        {
            lock (_unsent)
            {
                _unsent.UnionWith(pending);
            }

            if (Interlocked.Exchange(ref _failing, 1) == 0)
            {
                Log.Deferred(logger, string.Join(", ", pending), e);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(3500, LogLevel.Warning, "could not invalidate Django's cached queries over {Tables}; kept and sent again with the next commit")]
        public static partial void Deferred(ILogger logger, string tables, Exception exception);

        [LoggerMessage(3501, LogLevel.Information, "Django's cached queries are invalidated again")]
        public static partial void Recovered(ILogger logger);
    }
}
