using AntennaIngest.Testing;

namespace AntennaIngest.EndToEndTests;

/// <summary>The environment for a binary pointed at the local services and a given database.</summary>
public static class ServiceEnvironment
{
    public static Dictionary<string, string> For(string databaseUrl, int httpPort = 0) => new()
    {
        ["DATABASE_URL"] = databaseUrl,
        ["REDIS_URL"] = ServiceEndpoints.RedisUrl,
        ["NATS_URL"] = ServiceEndpoints.NatsUrl,
        ["CELERY_BROKER_URL"] = ServiceEndpoints.BrokerUrl,
        ["INGEST_HTTP_PORT"] = httpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
