using AntennaIngest.Core.Configuration;
using AntennaIngest.Core.Health;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace AntennaIngest.Redis.Connections;

/// <summary>Creates the process's one multiplexer and checks it.</summary>
public static class RedisConnector
{
    /// <param name="loggers">Where the client reports connection failures and reconnects (none: silent).</param>
    public static ConfigurationOptions Options(RedisSettings settings, ILoggerFactory? loggers = null)
    {
        var options = ConfigurationOptions.Parse(settings.Configuration);
        options.LoggerFactory = loggers;
        options.ClientName = "antenna-ingest";
        options.AbortOnConnectFail = false;
        options.ConnectTimeout = 5000;
        options.SyncTimeout = 10000;
        options.AsyncTimeout = 10000;
        options.KeepAlive = 60;
        if (settings.CaFile is not null)
        {
            // Trusts certificates this CA issued; the host name check stays on.
            options.TrustIssuer(settings.CaFile);
        }

        return options;
    }

    public static Task<ConnectionMultiplexer> ConnectAsync(RedisSettings settings, ILoggerFactory? loggers = null) =>
        ConnectionMultiplexer.ConnectAsync(Options(settings, loggers));

    /// <summary>True when both settings reach the same server as the same user (they may differ in database).</summary>
    public static bool SameServer(RedisSettings a, RedisSettings b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var left = Options(a);
        var right = Options(b);
        left.DefaultDatabase = right.DefaultDatabase = null;
        return left.ToString(includePassword: true) == right.ToString(includePassword: true);
    }

    public static async Task<DependencyStatus> CheckAsync(RedisSettings settings)
    {
        try
        {
            await using var multiplexer = await ConnectAsync(settings);
            var database = multiplexer.GetDatabase(settings.Database);
            var latency = await database.PingAsync();
            var server = multiplexer.GetServers().FirstOrDefault();
            return new DependencyStatus("redis", true, $"ok {settings.Redacted} (db {settings.Database}, Redis {server?.Version}, ping {latency.TotalMilliseconds:0.0} ms)");
        }
        catch (Exception e) when (e is RedisException or TimeoutException or InvalidOperationException or System.Security.Authentication.AuthenticationException)
        {
            return DependencyStatus.Failed("redis", $"cannot reach {settings.Redacted}: {FirstLine(e.Message)}", e, settings.CaFile is null ? "the system's store (SSL_CERT_FILE)" : $"ssl_ca_certs {settings.CaFile}");
        }
    }

    private static string FirstLine(string text)
    {
        var newline = text.IndexOfAny(['\r', '\n']);
        return newline < 0 ? text : text[..newline];
    }
}
