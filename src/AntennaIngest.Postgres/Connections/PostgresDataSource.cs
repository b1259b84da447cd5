using AntennaIngest.Core.Configuration;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AntennaIngest.Postgres.Connections;

/// <summary>Builds the one NpgsqlDataSource of the process, sized to the connection budget.</summary>
public static class PostgresDataSource
{
    /// <summary>Validates the connection string as Npgsql reads it; the message names what is wrong.</summary>
    public static NpgsqlConnectionStringBuilder Parse(DatabaseSettings settings)
    {
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(settings.ConnectionString)
            {
                MaxPoolSize = settings.Connections,
                MinPoolSize = 0,
                // pgbouncer < 1.21 in transaction mode cannot keep prepared statements: they are
                // prepared on one server connection and used on another. Off unless asked for.
                MaxAutoPrepare = settings.Prepare ? 64 : 0,
                AutoPrepareMinUsages = 2,
                // In transaction pooling there is no session to reset; DISCARD ALL would be wasted work.
                NoResetOnClose = !settings.Prepare,
                ApplicationName = "antenna-ingest",
                IncludeErrorDetail = true,
            };
            if (builder.Host is null or "")
            {
                throw new SettingsException("DATABASE_URL", "has no host");
            }

            return builder;
        }
        catch (ArgumentException e)
        {
            throw new SettingsException("DATABASE_URL", e.Message);
        }
    }

    /// <summary>True for sslmode verify-ca and verify-full: the only modes that can refuse a server's certificate (as in libpq).</summary>
    public static bool VerifiesServerCertificate(DatabaseSettings settings) =>
        Parse(settings).SslMode is SslMode.VerifyCA or SslMode.VerifyFull;

    public static NpgsqlDataSource Create(DatabaseSettings settings, ILoggerFactory loggerFactory)
    {
        var builder = new NpgsqlSlimDataSourceBuilder(Parse(settings).ConnectionString);
        builder.EnableArrays();
        // The slim builder leaves TLS out unless asked; sslmode in DATABASE_URL decides its use.
        builder.EnableTransportSecurity();
        builder.UseLoggerFactory(loggerFactory);
        return builder.Build();
    }
}
