using AntennaIngest.Core.Configuration;

namespace AntennaIngest.Testing;

/// <summary>
/// Where the local services are: the variables `scripts/services.sh env` prints, falling back
/// to that script's defaults so a test run needs no exported environment.
/// </summary>
public static class ServiceEndpoints
{
    public static string PgbouncerUrl => Env("DATABASE_URL", SettingsCatalog.DefaultDatabaseUrl);

    public static string DirectUrl => Env("INGEST_DIRECT_DATABASE_URL", "postgres://antenna:antenna@127.0.0.1:55432/antenna");

    public static string RedisUrl => Env("REDIS_URL", SettingsCatalog.DefaultRedisUrl);

    public static string NatsUrl => Env("NATS_URL", SettingsCatalog.DefaultNatsUrl);

    public static string BrokerUrl => Env("CELERY_BROKER_URL", SettingsCatalog.DefaultBrokerUrl);

    public static string PgbouncerAdminUrl => Env("INGEST_PGBOUNCER_ADMIN_URL", "postgres://antenna:antenna@127.0.0.1:56432/pgbouncer");

    public static string NatsMonitorUrl => Env("INGEST_NATS_MONITOR_URL", "http://127.0.0.1:58222");

    /// <summary>The same server URL pointing at another database.</summary>
    public static string WithDatabase(string url, string database)
    {
        var builder = new UriBuilder(url) { Path = "/" + database };
        return builder.Uri.ToString();
    }

    /// <summary>An Npgsql keyword string for a postgres:// URL.</summary>
    public static string ToConnectionString(string url) => ConnectionUrls.ParseDatabaseUrl(url).ConnectionString;

    private static string Env(string name, string fallback)
    {
        var value = Environment.GetEnvironmentVariable(name);
        return string.IsNullOrWhiteSpace(value) ? fallback : value;
    }
}
