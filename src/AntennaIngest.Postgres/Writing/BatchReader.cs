using Npgsql;
using AntennaIngest.Postgres.Connections;
using NpgsqlTypes;

namespace AntennaIngest.Postgres.Writing;

/// <summary>
/// One <see cref="NpgsqlBatch"/> (one round trip) whose row-returning statements each have a
/// parser, called in order. Statements without rows (BEGIN, INSERT, COMMIT) have none.
/// </summary>
internal sealed class BatchReader(NpgsqlConnection connection) : IAsyncDisposable
{
    private readonly NpgsqlBatch _batch = new(connection);
    private readonly List<Action<NpgsqlDataReader>> _parsers = [];

    public int Count => _batch.BatchCommands.Count;

    /// <summary>Tables the batch's statements write, for invalidating caches after its commit.</summary>
    public HashSet<string> TablesWritten { get; } = [];

    public void Add(string sql, params NpgsqlParameter[] parameters) => Add(sql, null, parameters);

    /// <param name="parseRow">Called for each row of the statement's result; null for statements without rows.</param>
    public void Add(string sql, Action<NpgsqlDataReader>? parseRow, params NpgsqlParameter[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.AddRange(parameters);
        _batch.BatchCommands.Add(command);
        WrittenTables.AddTo(TablesWritten, sql);
        if (parseRow is not null)
        {
            _parsers.Add(parseRow);
        }
    }

    public async Task ExecuteAsync(CancellationToken cancellationToken)
    {
        await using var reader = await _batch.ExecuteReaderAsync(cancellationToken);
        foreach (var parse in _parsers)
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                parse(reader);
            }

            await reader.NextResultAsync(cancellationToken);
        }

        // Errors of later statements (a deferred constraint at COMMIT) surface here.
        while (await reader.NextResultAsync(cancellationToken))
        {
        }
    }

    public ValueTask DisposeAsync() => _batch.DisposeAsync();

    public static NpgsqlParameter Value<T>(T value) => new NpgsqlParameter<T> { TypedValue = value };

    /// <summary>Naive wall-clock values (timestamp without time zone).</summary>
    public static NpgsqlParameter Timestamps(DateTime[] values) =>
        new NpgsqlParameter<DateTime[]> { TypedValue = values, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Timestamp };

    /// <summary>Naive wall-clock values, NULL where absent.</summary>
    public static NpgsqlParameter Timestamps(DateTime?[] values) =>
        new NpgsqlParameter<DateTime?[]> { TypedValue = values, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Timestamp };

    public static long? Int64OrNull(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt64(ordinal);

    public static double? DoubleOrNull(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetDouble(ordinal);

    public static string? StringOrNull(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
