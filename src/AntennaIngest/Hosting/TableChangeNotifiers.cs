using AntennaIngest.Core.Configuration;
using AntennaIngest.Core.Processing;
using AntennaIngest.Postgres.Schema;
using AntennaIngest.Redis.Cache;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace AntennaIngest.Hosting;

/// <summary>Who hears about committed tables: django-cachalot's keys in Django's cache, or nobody.</summary>
internal static class TableChangeNotifiers
{
    // Every table the binary touches starts out unsent, so the first commit after a start also
    // covers a commit a crash left without its invalidation.
    public static ITableChangeNotifier For(RedisSettings settings, IConnectionMultiplexer? redis, ILoggerFactory loggers) =>
        settings.InvalidateDjangoCache && redis is not null
            ? new CachalotInvalidator(redis, settings.Database, loggers.CreateLogger<CachalotInvalidator>(), AntennaSchema.RequiredColumns.Keys)
            : NoTableChangeNotifier.Instance;
}
