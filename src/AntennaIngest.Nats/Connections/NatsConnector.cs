using AntennaIngest.Core.Configuration;
using AntennaIngest.Core.Health;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace AntennaIngest.Nats.Connections;

/// <summary>Creates the process's one NATS connection (acks, cleanup and the results intake share it).</summary>
public static class NatsConnector
{
    public static NatsConnection Create(NatsSettings settings, ILoggerFactory loggerFactory) =>
        new(new NatsOpts
        {
            Url = settings.Url,
            Name = "antenna-ingest",
            LoggerFactory = loggerFactory,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            RequestTimeout = TimeSpan.FromSeconds(10),
            CommandTimeout = TimeSpan.FromSeconds(10),
            // Reconnect forever: acks wait for the connection instead of being lost.
            MaxReconnectRetry = -1,
            ReconnectWaitMin = TimeSpan.FromMilliseconds(200),
            ReconnectWaitMax = TimeSpan.FromSeconds(5),
            TlsOpts = settings.CaFile is null ? NatsTlsOpts.Default : new NatsTlsOpts { CaFile = settings.CaFile },
        });

    public static async Task<DependencyStatus> CheckAsync(NatsSettings settings, ILoggerFactory loggerFactory)
    {
        try
        {
            await using var connection = Create(settings, loggerFactory);
            await connection.ConnectAsync();
            var account = await new NatsJSContext(connection).GetAccountInfoAsync();
            return new DependencyStatus("nats", true, $"ok {settings.Redacted} (server {connection.ServerInfo?.Version}, JetStream streams {account.Streams})");
        }
        catch (NatsJSApiException e)
        {
            return new DependencyStatus("nats", false, $"JetStream unavailable at {settings.Redacted}: {e.Error.Description}");
        }
        catch (Exception e) when (e is NatsException or TimeoutException or OperationCanceledException or System.Security.Authentication.AuthenticationException)
        {
            return DependencyStatus.Failed("nats", $"cannot reach {settings.Redacted}: {e.Message}", e, settings.CaFile is null ? "the system's store (SSL_CERT_FILE)" : $"NATS_CA {settings.CaFile}");
        }
    }
}
