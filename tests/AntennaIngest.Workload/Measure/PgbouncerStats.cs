using System.Globalization;

namespace AntennaIngest.Workload.Measure;

/// <summary>
/// pgbouncer's own counters for one database from `SHOW STATS` on the admin console (through
/// psql: the console speaks only the simple query protocol). Read before and after a run, the
/// difference counts the contender's statements without a counting proxy in its path.
/// total_query_count counts request cycles: pgbouncer adds one at the first packet after a
/// ReadyForQuery (a simple Query, or a batch of Parse/Bind/Execute up to its Sync).
/// </summary>
public static class PgbouncerStats
{
    public const string Source = "pgbouncer SHOW STATS total_query_count delta for the run's database";

    /// <summary>(total_query_count, total_xact_count) now; zeros when pgbouncer has no pool for the database yet; null when unreadable.</summary>
    public static async Task<(long Queries, long Transactions)?> ReadAsync(string adminUrl, string database, CancellationToken cancellationToken)
    {
        try
        {
            var lines = await PgbouncerConsole.ShowAsync(adminUrl, "STATS", cancellationToken);
            if (lines is not { Length: >= 1 })
            {
                return null;
            }

            var header = lines[0].Split('\t');
            var (name, queries, transactions) = (Array.IndexOf(header, "database"), Array.IndexOf(header, "total_query_count"), Array.IndexOf(header, "total_xact_count"));
            if (name < 0 || queries < 0 || transactions < 0)
            {
                return null;
            }

            foreach (var cells in lines.Skip(1).Select(l => l.Split('\t')).Where(c => c.Length == header.Length && c[name] == database))
            {
                return (long.Parse(cells[queries], CultureInfo.InvariantCulture), long.Parse(cells[transactions], CultureInfo.InvariantCulture));
            }

            return (0, 0);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // no psql
        }
    }
}
