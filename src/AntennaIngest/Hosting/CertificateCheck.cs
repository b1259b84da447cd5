using AntennaIngest.Amqp.Connections;
using AntennaIngest.Cli;
using AntennaIngest.Core.Configuration;
using AntennaIngest.Core.Health;
using AntennaIngest.Nats.Connections;
using AntennaIngest.Postgres.Connections;
using AntennaIngest.Redis.Connections;
using Microsoft.Extensions.Logging.Abstractions;

namespace AntennaIngest.Hosting;

/// <summary>
/// Before `run` consumes anything: connects once to every dependency it reaches over verified TLS.
/// A server that is down is an outage the pipeline waits out; a certificate this process refuses
/// (an unknown CA, a host name the certificate does not name) never heals by waiting, so `run`
/// stops at once with <see cref="ExitCodes.CertificateRefused"/> and says which setting to fix.
/// Dependencies without TLS are not contacted here, so start-up stays as fast as before.
/// </summary>
internal static class CertificateCheck
{
    // Long enough for a handshake over a slow link; a server that does not answer in this time is
    // left to the outage handling rather than holding start-up.
    private static readonly TimeSpan s_limit = TimeSpan.FromSeconds(15);

    /// <summary>Every dependency whose certificate was refused (empty: start).</summary>
    public static async Task<IReadOnlyList<DependencyStatus>> FindRefusedAsync(IngestSettings settings, CancellationToken cancellationToken)
    {
        var checks = new List<Task<DependencyStatus>>();
        if (PostgresDataSource.VerifiesServerCertificate(settings.Database))
        {
            checks.Add(CheckCommand.CheckPostgresAsync(settings.Database, cancellationToken));
        }

        if (settings.Redis.Configuration.Contains("ssl=true", StringComparison.Ordinal))
        {
            checks.Add(RedisConnector.CheckAsync(settings.Redis));
        }

        if (settings.Nats.Url.Contains("tls://", StringComparison.OrdinalIgnoreCase) || settings.Nats.CaFile is not null)
        {
            checks.Add(NatsConnector.CheckAsync(settings.Nats, NullLoggerFactory.Instance));
        }

        if (settings.Processing.Intake != IntakeMode.JetStream && settings.Celery.BrokerUrl.Scheme == "amqps")
        {
            checks.Add(AmqpConnector.CheckAsync(settings.Celery));
        }

        try
        {
            await Task.WhenAll(checks).WaitAsync(s_limit, cancellationToken);
        }
        catch (TimeoutException)
        {
        }

        return checks.Where(c => c.IsCompletedSuccessfully).Select(c => c.Result).Where(s => s.RefusedCertificate is not null).ToList();
    }
}
