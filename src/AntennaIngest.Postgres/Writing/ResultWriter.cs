using System.Diagnostics;
using AntennaIngest.Core.Configuration;
using AntennaIngest.Core.Faults;
using AntennaIngest.Core.Contracts;
using AntennaIngest.Core.Metrics;
using AntennaIngest.Core.Planning;
using AntennaIngest.Core.Processing;
using AntennaIngest.Postgres.Connections;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AntennaIngest.Postgres.Writing;

/// <summary>
/// Writes a group of results in one transaction and at most three round trips, whatever the
/// number of detections and classifications: (1) BEGIN, advisory locks on every source image,
/// every read; (2) only when new rows are needed: locks on names, re-read, ids; (3) every write
/// and COMMIT. A group that fails is retried one result at a time, so one bad result only fails
/// itself: a data or integrity error of a single result is its <see cref="SaveOutcome.Failure"/>.
/// </summary>
public sealed partial class ResultWriter(
    NpgsqlDataSource dataSource,
    DatabaseSettings settings,
    IngestMetrics metrics,
    ITableChangeNotifier tableChanges,
    ILogger<ResultWriter> logger)
{
    public async Task<IReadOnlyList<SaveOutcome>> WriteAsync(IReadOnlyList<SaveRequest> requests, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requests);
        if (requests.Count == 0)
        {
            return [];
        }

        metrics.GroupSize.Observe(requests.Count);
        try
        {
            return await WriteGroupAsync(requests, cancellationToken);
        }
        catch (Exception e) when (PostgresErrors.IsTransient(e))
        {
            throw new DependencyUnavailableException("postgres", e.Message, e);
        }
        catch (PostgresException e) when (requests.Count > 1)
        {
            Log.GroupFailed(logger, requests.Count, e.SqlState, e.MessageText);
            var outcomes = new SaveOutcome[requests.Count];
            for (var i = 0; i < requests.Count; i++)
            {
                outcomes[i] = await WriteOneAsync(requests[i], cancellationToken);
            }

            return outcomes;
        }
        catch (PostgresException e) when (IsDataError(e))
        {
            return [Failed(e)];
        }
    }

    private async Task<SaveOutcome> WriteOneAsync(SaveRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return (await WriteGroupAsync([request], cancellationToken))[0];
        }
        catch (Exception e) when (PostgresErrors.IsTransient(e))
        {
            throw new DependencyUnavailableException("postgres", e.Message, e);
        }
        catch (PostgresException e) when (IsDataError(e))
        {
            return Failed(e);
        }
    }

    /// <summary>Integrity (23) and data (22) errors: the result's own rows can never be stored.</summary>
    private static bool IsDataError(PostgresException e) =>
        e.SqlState.StartsWith("22", StringComparison.Ordinal) || e.SqlState.StartsWith("23", StringComparison.Ordinal);

    private SaveOutcome Failed(PostgresException e)
    {
        Log.ResultFailed(logger, e.SqlState, e.MessageText);
        var detail = string.IsNullOrEmpty(e.Detail) ? string.Empty : $" ({e.Detail})";
        return SaveOutcome.Failure($"Database rejected the result: {e.MessageText}{detail}");
    }

    private async Task<IReadOnlyList<SaveOutcome>> WriteGroupAsync(IReadOnlyList<SaveRequest> requests, CancellationToken cancellationToken)
    {
        var results = new PipelineResultsResponse[requests.Count];
        for (var i = 0; i < results.Length; i++)
        {
            results[i] = requests[i].Results;
        }

        // Antenna times each save_results call; a result here is saved as part of its group, so
        // its "Saved results … in {s} seconds" line gives the group's time, read to commit.
        var started = Stopwatch.GetTimestamp();
        var read = ReadRequest.For(results);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var open = false;
        try
        {
            open = true;
            var snapshot = await ReadAsync(connection, read, cancellationToken);
            var draft = WritePlanner.Plan(results, snapshot, settings.TimeZone);
            IReadOnlySet<long> crops = new HashSet<long>();
            IReadOnlyCollection<string> tables = [];
            if (draft.HasWrites)
            {
                var allocation = draft.NeedsAllocation ? await AllocateAsync(connection, draft, cancellationToken) : WriteAllocation.None;
                FaultPoints.Hit(FaultPoints.InTransaction);
                (crops, tables) = await WriteAndCommitAsync(connection, draft.Complete(allocation), cancellationToken);
            }
            else
            {
                await CommitAsync(connection, cancellationToken);
            }

            open = false;
            var duration = Stopwatch.GetElapsedTime(started);
            if (draft.PlaceholderPipelines.Count > 0 && await CreatePlaceholderPipelinesAsync(connection, draft.PlaceholderPipelines, cancellationToken))
            {
                tables = [.. tables, .. WrittenTables.Of(WriteSql.PlaceholderPipelines)];
            }

            // Before the results are acked: Antenna's processes must not keep serving cached reads of these tables.
            await tableChanges.TablesChangedAsync(tables, cancellationToken);

            return draft.Outcomes(crops, duration, settings.JobLogStyle);
        }
        catch (Exception) when (open)
        {
            await RollbackQuietlyAsync(connection);
            throw;
        }
    }

    private async Task CommitAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var commit = new NpgsqlCommand("COMMIT", connection);
        await commit.ExecuteNonQueryAsync(cancellationToken);
        metrics.DbRoundTrips.Increment("write");
    }

    // An unknown slug gets Antenna's placeholder pipeline, committed on its own: the result fails
    // anyway (the placeholder has no detection algorithm), as in Antenna.
    private async Task<bool> CreatePlaceholderPipelinesAsync(NpgsqlConnection connection, IReadOnlyList<string> slugs, CancellationToken cancellationToken)
    {
        await using var insert = new NpgsqlCommand(WriteSql.PlaceholderPipelines, connection);
        insert.Parameters.Add(BatchReader.Value(slugs.ToArray()));
        var created = await insert.ExecuteNonQueryAsync(cancellationToken);
        metrics.DbRoundTrips.Increment("write");
        if (created > 0)
        {
            Log.PlaceholderPipelines(logger, string.Join(", ", slugs));
        }

        return created > 0;
    }

    private static async Task RollbackQuietlyAsync(NpgsqlConnection connection)
    {
        if (connection.State != System.Data.ConnectionState.Open)
        {
            return;
        }

        try
        {
            await using var rollback = new NpgsqlCommand("ROLLBACK", connection);
            await rollback.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            // The connection is broken; the pool discards it and the server ends the transaction.
        }
    }

    private static partial class Log
    {
        [LoggerMessage(3300, LogLevel.Warning, "a group of {Count} results failed ({SqlState}: {Message}); writing them one at a time")]
        public static partial void GroupFailed(ILogger logger, int count, string sqlState, string message);

        [LoggerMessage(3301, LogLevel.Warning, "result rejected by the database ({SqlState}: {Message})")]
        public static partial void ResultFailed(ILogger logger, string sqlState, string message);

        [LoggerMessage(3302, LogLevel.Warning, "created placeholder pipeline(s) for unknown slug(s) {Slugs}")]
        public static partial void PlaceholderPipelines(ILogger logger, string slugs);
    }
}
