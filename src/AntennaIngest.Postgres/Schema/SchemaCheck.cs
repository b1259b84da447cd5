using Npgsql;

namespace AntennaIngest.Postgres.Schema;

/// <summary>Connects and lists what of <see cref="AntennaSchema"/> is missing.</summary>
public static class SchemaCheck
{
    /// <returns>Human-readable problems; empty when every table and column exists.</returns>
    public static async Task<IReadOnlyList<string>> FindProblemsAsync(NpgsqlDataSource dataSource, string timeZone, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand(
                    "SELECT table_name::text, column_name::text FROM information_schema.columns " +
                    "WHERE table_schema = current_schema() AND table_name = ANY($1)")
                {
                    Parameters = { new NpgsqlParameter { Value = AntennaSchema.RequiredColumns.Keys.ToArray() } },
                },
                new NpgsqlBatchCommand("SELECT count(*) FROM pg_timezone_names WHERE name = $1")
                {
                    Parameters = { new NpgsqlParameter { Value = timeZone } },
                },
            },
        };
        var present = new HashSet<(string, string)>();
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            present.Add((reader.GetString(0), reader.GetString(1)));
        }

        await reader.NextResultAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var timeZoneKnown = reader.GetInt64(0) > 0;

        var problems = new List<string>();
        foreach (var (table, columns) in AntennaSchema.RequiredColumns)
        {
            var missing = columns.Where(c => !present.Contains((table, c))).ToList();
            if (missing.Count == columns.Length)
            {
                problems.Add($"table {table} is missing");
            }
            else if (missing.Count > 0)
            {
                problems.Add($"table {table} lacks column(s) {string.Join(", ", missing)}");
            }
        }

        if (!timeZoneKnown)
        {
            problems.Add($"TIME_ZONE '{timeZone}' is not a time zone PostgreSQL knows");
        }

        return problems;
    }
}
