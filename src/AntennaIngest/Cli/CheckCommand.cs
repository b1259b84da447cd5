using AntennaIngest.Amqp.Connections;
using AntennaIngest.Core.Configuration;
using AntennaIngest.Core.Health;
using AntennaIngest.Nats.Connections;
using AntennaIngest.Postgres.Connections;
using AntennaIngest.Postgres.Schema;
using AntennaIngest.Redis.Connections;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace AntennaIngest.Cli;

/// <summary>`antenna-ingest check`: one line per dependency, non-zero exit on any problem.</summary>
internal static class CheckCommand
{
    public static async Task<int> RunAsync(TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (!SettingsLoader.TryLoad(error, out var settings))
        {
            return ExitCodes.BadSettings;
        }

        var checks = new List<Task<DependencyStatus>>
        {
            CheckPostgresAsync(settings.Database, cancellationToken),
            RedisConnector.CheckAsync(settings.Redis),
            NatsConnector.CheckAsync(settings.Nats, NullLoggerFactory.Instance),
        };
        if (settings.Processing.Intake != IntakeMode.JetStream)
        {
            checks.Add(AmqpConnector.CheckAsync(settings.Celery));
        }

        var ok = true;
        var refused = false;
        foreach (var status in await Task.WhenAll(checks))
        {
            output.WriteLine($"{status.Name,-9} {(status.Ok ? string.Empty : "FAILED ")}{status.Detail}");
            ok &= status.Ok;
            refused |= status.RefusedCertificate is not null;
        }

        return ok ? ExitCodes.Ok : refused ? ExitCodes.CertificateRefused : ExitCodes.Failed;
    }

    internal static async Task<DependencyStatus> CheckPostgresAsync(DatabaseSettings settings, CancellationToken cancellationToken)
    {
        try
        {
            await using var dataSource = PostgresDataSource.Create(settings, NullLoggerFactory.Instance);
            var problems = await SchemaCheck.FindProblemsAsync(dataSource, settings.TimeZone, cancellationToken);
            return problems.Count == 0
                ? new DependencyStatus("postgres", true, $"ok {settings.Redacted} (Antenna tables and columns present)")
                : new DependencyStatus("postgres", false, $"{settings.Redacted}: {string.Join("; ", problems)}");
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or System.Security.Authentication.AuthenticationException)
        {
            return DependencyStatus.Failed("postgres", $"cannot use {settings.Redacted}: {e.Message}", e, "sslrootcert in DATABASE_URL (or the system's store, SSL_CERT_FILE)");
        }
    }
}
