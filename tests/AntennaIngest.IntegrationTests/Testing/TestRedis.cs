using AntennaIngest.Core.Configuration;
using AntennaIngest.Redis.Connections;
using AntennaIngest.Testing;
using StackExchange.Redis;

namespace AntennaIngest.IntegrationTests.Testing;

/// <summary>The test services' Redis as the binary reads it (REDIS_URL through its own settings reader).</summary>
internal static class TestRedis
{
    /// <param name="database">A database of the test's own instead of REDIS_URL's.</param>
    public static RedisSettings Settings(int? database = null) =>
        new SettingsReader(new Dictionary<string, string?>
        {
            ["REDIS_URL"] = database is { } own ? new UriBuilder(ServiceEndpoints.RedisUrl) { Path = "/" + own }.Uri.ToString() : ServiceEndpoints.RedisUrl,
        }).Read().Redis;

    /// <summary>A connection to the test services' Redis made as the binary makes its own.</summary>
    public static Task<ConnectionMultiplexer> ConnectAsync() => RedisConnector.ConnectAsync(Settings());
}
