using AntennaIngest.Core.Configuration;
using AntennaIngest.Postgres.Connections;

namespace AntennaIngest.Cli;

/// <summary>Reads and validates settings; a bad value is one line on stderr and exit code 2.</summary>
internal static class SettingsLoader
{
    public static bool TryLoad(TextWriter error, out IngestSettings settings)
    {
        try
        {
            settings = SettingsReader.FromProcessEnvironment().Read();
            // Npgsql's own parser has the last word on the keyword form of DATABASE_URL.
            _ = PostgresDataSource.Parse(settings.Database);
            return true;
        }
        catch (SettingsException e)
        {
            error.WriteLine($"antenna-ingest: invalid setting {e.Message}");
            settings = null!;
            return false;
        }
    }
}
