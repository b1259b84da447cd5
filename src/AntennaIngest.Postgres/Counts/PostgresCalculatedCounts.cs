using AntennaIngest.Core.Configuration;
using AntennaIngest.Core.Metrics;
using AntennaIngest.Core.Processing;
using AntennaIngest.Postgres.Connections;
using Npgsql;

namespace AntennaIngest.Postgres.Counts;

/// <summary>
/// Calculated fields of events and deployments, one statement per call for all given ids
/// (Antenna: about ten queries per event and thirteen per deployment, on every result). An empty
/// list does nothing (Antenna's empty pks recomputes every event in the database).
/// </summary>
public sealed class PostgresCalculatedCounts(NpgsqlDataSource dataSource, DatabaseSettings settings, IngestMetrics metrics, ITableChangeNotifier tableChanges) : ICalculatedCounts
{
    public ValueTask RefreshEventsAsync(IReadOnlyList<long> eventIds, CancellationToken cancellationToken) =>
        RunAsync(CountSql.Events, eventIds, withTimeZone: true, cancellationToken);

    public ValueTask RefreshDeploymentsAsync(IReadOnlyList<long> deploymentIds, CancellationToken cancellationToken) =>
        RunAsync(CountSql.Deployments, deploymentIds, withTimeZone: false, cancellationToken);

    private async ValueTask RunAsync(string sql, IReadOnlyList<long> ids, bool withTimeZone, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Count == 0)
        {
            return;
        }

        // Distinct and sorted: the statement is the same for the same set of ids.
        var sorted = ids.Distinct().Order().ToArray();
        var updated = await PostgresErrors.GuardAsync(async () =>
        {
            await using var command = dataSource.CreateCommand(sql);
            command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = sorted });
            if (withTimeZone)
            {
                command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = settings.TimeZone });
            }

            var updated = await command.ExecuteNonQueryAsync(cancellationToken);
            metrics.DbRoundTrips.Increment("counts");
            return updated;
        });
        if (updated > 0)
        {
            await tableChanges.TablesChangedAsync(WrittenTables.Of(sql), cancellationToken);
        }
    }
}
