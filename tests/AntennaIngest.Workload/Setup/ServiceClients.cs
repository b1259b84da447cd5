using AntennaIngest.Core.Configuration;
using NATS.Client.Core;
using StackExchange.Redis;

namespace AntennaIngest.Workload.Setup;

/// <summary>Connections to the local services from their URLs (redis://, nats://).</summary>
public static class ServiceClients
{
    public static async Task<(ConnectionMultiplexer Redis, IDatabase Database)> RedisAsync(string url)
    {
        var (configuration, _, database, _) = ConnectionUrls.ParseRedisUrl(url);
        var redis = await ConnectionMultiplexer.ConnectAsync(configuration);
        return (redis, redis.GetDatabase(database));
    }

    /// <summary>A NATS connection; NATS_CA, as the binary reads it, names the CA of a tls:// server.</summary>
    public static NatsConnection Nats(string url, string name = "antenna-workload") =>
        new(new NatsOpts
        {
            Url = ConnectionUrls.ParseNatsUrl(url).Url,
            Name = name,
            SubPendingChannelCapacity = 1 << 20,
            TlsOpts = Environment.GetEnvironmentVariable("NATS_CA") is { Length: > 0 } ca ? new NatsTlsOpts { CaFile = ca } : NatsTlsOpts.Default,
        });
}
