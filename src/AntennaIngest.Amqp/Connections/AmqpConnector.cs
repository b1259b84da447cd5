using AntennaIngest.Core.Configuration;
using AntennaIngest.Core.Health;
using System.Net.Security;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace AntennaIngest.Amqp.Connections;

/// <summary>The broker connection: one long-lived connection with automatic recovery.</summary>
public static class AmqpConnector
{
    public static ConnectionFactory CreateFactory(CelerySettings settings)
    {
        var factory = new ConnectionFactory
        {
            Uri = settings.BrokerUrl,
            ClientProvidedName = "antenna-ingest",
            AutomaticRecoveryEnabled = true,
            TopologyRecoveryEnabled = true,
            NetworkRecoveryInterval = TimeSpan.FromSeconds(2),
            // Celery's broker settings in Antenna: heartbeat 30 s, connect timeout 40 s.
            RequestedHeartbeat = TimeSpan.FromSeconds(30),
            RequestedConnectionTimeout = TimeSpan.FromSeconds(40),
        };
        if (settings.BrokerUrl.Scheme == "amqps")
        {
            // Setting an amqps:// URI makes RabbitMQ.Client accept certificates that do not name
            // the host (AcceptablePolicyErrors = RemoteCertificateNameMismatch): chaos tls saw one
            // issued to "localhost" accepted at 127.0.0.1. The host name is checked, as for every other client.
            factory.Ssl.Enabled = true;
            factory.Ssl.ServerName = settings.BrokerUrl.Host;
            factory.Ssl.AcceptablePolicyErrors = SslPolicyErrors.None;
            if (settings.CaFile is not null)
            {
                factory.Ssl.CertificateValidationCallback = CertificateAuthority.Validator(settings.CaFile);
            }
        }

        return factory;
    }

    public static async Task<DependencyStatus> CheckAsync(CelerySettings settings)
    {
        try
        {
            await using var connection = await CreateFactory(settings).CreateConnectionAsync("antenna-ingest check");
            await using var channel = await connection.CreateChannelAsync();
            string queueState;
            try
            {
                var declared = await channel.QueueDeclarePassiveAsync(settings.Queue);
                queueState = $"queue {settings.Queue}: {declared.MessageCount} ready, {declared.ConsumerCount} consumers";
            }
            catch (OperationInterruptedException)
            {
                queueState = $"queue {settings.Queue} not declared yet (run declares it as Celery does)";
            }

            var version = connection.ServerProperties is { } properties && properties.TryGetValue("version", out var raw) && raw is byte[] bytes
                ? System.Text.Encoding.UTF8.GetString(bytes)
                : "?";
            return new DependencyStatus("rabbitmq", true, $"ok {settings.Redacted} (RabbitMQ {version}, {queueState})");
        }
        catch (Exception e) when (e is BrokerUnreachableException or OperationInterruptedException or IOException or TimeoutException or System.Security.Authentication.AuthenticationException)
        {
            return DependencyStatus.Failed("rabbitmq", $"cannot reach {settings.Redacted}: {e.InnerException?.Message ?? e.Message}", e, settings.CaFile is null ? "the system's store (SSL_CERT_FILE)" : $"cacertfile {settings.CaFile}");
        }
    }

    /// <summary>
    /// Closes a connection that may already be broken (a reconnect, a shutdown): what closing a
    /// dead connection throws says nothing new, the failure that broke it was reported already.
    /// </summary>
    public static async Task DisposeQuietlyAsync(IConnection? connection)
    {
        try
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }
        catch (Exception e) when (e is IOException or OperationInterruptedException or AlreadyClosedException)
        {
        }
    }
}
