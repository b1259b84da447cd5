using System.Globalization;
using AntennaIngest.Testing;
using Npgsql;

namespace AntennaIngest.Workload.Measure;

/// <summary>
/// Peak server-side connections to the benchmark database (`pg_stat_activity`, direct
/// connection) and peak pgbouncer pool use for it (`SHOW POOLS` on the admin console, through
/// psql because the console speaks only the simple query protocol).
/// </summary>
public sealed class ConnectionSampler(string directUrl, string database, string pgbouncerAdminUrl) : IAsyncDisposable
{
    private readonly NpgsqlDataSource _postgres = NpgsqlDataSource.Create(ServiceEndpoints.ToConnectionString(ServiceEndpoints.WithDatabase(directUrl, "postgres")));
    private bool _poolsAvailable = true;

    public long PeakServerConnections { get; private set; }

    public long PeakClientActive { get; private set; }

    public long PeakClientWaiting { get; private set; }

    public long PeakServerActive { get; private set; }

    public long PeakServerTotal { get; private set; }

    public double PeakMaxWaitSeconds { get; private set; }

    /// <summary>Server connections to the database at the last sample.</summary>
    public long ServerConnections { get; private set; }

    /// <summary>pgbouncer clients of the database (active and waiting) at the last sample.</summary>
    public long Clients { get; private set; }

    public async Task SampleDatabaseAsync(CancellationToken cancellationToken)
    {
        await using var command = _postgres.CreateCommand("SELECT count(*) FROM pg_stat_activity WHERE datname = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = database });
        var count = Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
        ServerConnections = count;
        PeakServerConnections = Math.Max(PeakServerConnections, count);
    }

    public async Task SamplePoolsAsync(CancellationToken cancellationToken)
    {
        if (!_poolsAvailable)
        {
            return;
        }

        try
        {
            var lines = await PgbouncerConsole.ShowAsync(pgbouncerAdminUrl, "POOLS", cancellationToken);
            if (lines is not { Length: >= 2 })
            {
                return;
            }

            var header = lines[0].Split('\t');
            int Column(string name) => Array.IndexOf(header, name);
            long clients = 0;
            foreach (var line in lines.Skip(1))
            {
                var cells = line.Split('\t');
                if (cells.Length != header.Length || cells[Column("database")] != database)
                {
                    continue;
                }

                long Value(string name) => Column(name) >= 0 && long.TryParse(cells[Column(name)], CultureInfo.InvariantCulture, out var v) ? v : 0;
                PeakClientActive = Math.Max(PeakClientActive, Value("cl_active"));
                PeakClientWaiting = Math.Max(PeakClientWaiting, Value("cl_waiting"));
                PeakServerActive = Math.Max(PeakServerActive, Value("sv_active"));
                PeakServerTotal = Math.Max(PeakServerTotal, Value("sv_active") + Value("sv_idle") + Value("sv_used") + Value("sv_tested") + Value("sv_login"));
                PeakMaxWaitSeconds = Math.Max(PeakMaxWaitSeconds, Value("maxwait") + (Value("maxwait_us") / 1e6));
                clients += Value("cl_active") + Value("cl_waiting");
            }

            Clients = clients;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            _poolsAvailable = false;
        }
    }

    public ValueTask DisposeAsync() => _postgres.DisposeAsync();
}
