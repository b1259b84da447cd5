using Npgsql;

namespace AntennaIngest.Testing;

/// <summary>
/// A fresh database with Antenna's schema, created through a direct connection and dropped on
/// dispose. <see cref="PgbouncerUrl"/> reaches the same database through pgbouncer
/// (transaction pooling), which is how antenna-ingest is normally run.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private TestDatabase(string name)
    {
        Name = name;
        DirectUrl = ServiceEndpoints.WithDatabase(ServiceEndpoints.DirectUrl, name);
        PgbouncerUrl = ServiceEndpoints.WithDatabase(ServiceEndpoints.PgbouncerUrl, name);
        DataSource = NpgsqlDataSource.Create(ServiceEndpoints.ToConnectionString(DirectUrl));
    }

    public string Name { get; }

    public string DirectUrl { get; }

    public string PgbouncerUrl { get; }

    /// <summary>Direct connections for test setup and assertions.</summary>
    public NpgsqlDataSource DataSource { get; }

    public static string SchemaPath => Path.Combine(AppContext.BaseDirectory, "fixtures", "antenna-schema.sql");

    /// <param name="template">
    /// A database to copy (CREATE DATABASE … TEMPLATE), e.g. one built by Antenna's own migrations
    /// (scripts/antenna-oracle.sh template); it then brings the schema and <paramref name="withSchema"/>
    /// only restarts the job ids.
    /// </param>
    public static async Task<TestDatabase> CreateAsync(string prefix = "ingest_test", bool withSchema = true, string? template = null)
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(63, prefix.Length + 33)];
        await using (var admin = NpgsqlDataSource.Create(ServiceEndpoints.ToConnectionString(ServiceEndpoints.DirectUrl)))
        {
            await using var create = admin.CreateCommand(template is null ? $"CREATE DATABASE \"{name}\"" : $"CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"");
            await create.ExecuteNonQueryAsync();
        }

        var database = new TestDatabase(name);
        if (withSchema)
        {
            if (template is null)
            {
                await database.ExecuteAsync(await File.ReadAllTextAsync(SchemaPath));
            }

            // Job ids name shared resources (NATS stream job_{id}, Redis job:{id}:*): tests running
            // in parallel on their own databases must not all start at job 1.
            await database.ExecuteAsync($"ALTER TABLE jobs_job ALTER COLUMN id RESTART WITH {Random.Shared.NextInt64(1_000, 1L << 40)}");
        }

        return database;
    }

    public async Task ExecuteAsync(string sql, params object?[] parameters)
    {
        await using var command = DataSource.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter ?? DBNull.Value });
        }

        await command.ExecuteNonQueryAsync();
    }

    public async Task<T> ScalarAsync<T>(string sql, params object?[] parameters)
    {
        await using var command = DataSource.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter ?? DBNull.Value });
        }

        var value = await command.ExecuteScalarAsync();
        return value is null or DBNull ? default! : (T)Convert.ChangeType(value, Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Rows as arrays of column values (DBNull becomes null), in the query's order.</summary>
    public async Task<List<object?[]>> RowsAsync(string sql, params object?[] parameters)
    {
        await using var command = DataSource.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter ?? DBNull.Value });
        }

        var rows = new List<object?[]>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }

            rows.Add(row);
        }

        return rows;
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await using var admin = NpgsqlDataSource.Create(ServiceEndpoints.ToConnectionString(ServiceEndpoints.DirectUrl));
        await using var drop = admin.CreateCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)");
        await drop.ExecuteNonQueryAsync();
    }
}
