using AntennaIngest.Testing;
using AntennaIngest.Workload.Measure;
using Npgsql;

namespace AntennaIngest.IntegrationTests.Workload;

// measure counts a contender's queries from pgbouncer's SHOW STATS instead of a counting proxy
// in its path; both must count the same request cycles for RoundTripsPerResult to keep its meaning.
public sealed class PgbouncerStatsTests
{
    [Fact]
    public async Task Pgbouncer_counts_the_same_round_trips_as_the_counting_proxy()
    {
        await using var database = await TestDatabase.CreateAsync(withSchema: false);
        var pgbouncer = new Uri(database.PgbouncerUrl);
        await using var counter = new PgRoundTripCounter(pgbouncer.Host, pgbouncer.Port);
        await using var dataSource = NpgsqlDataSource.Create(ServiceEndpoints.ToConnectionString(counter.Through(database.PgbouncerUrl)));
        await using var connection = await dataSource.OpenConnectionAsync();
        var before = await PgbouncerStats.ReadAsync(ServiceEndpoints.PgbouncerAdminUrl, database.Name, CancellationToken.None);
        counter.Reset();

        await using (var batch = new NpgsqlBatch(connection) { BatchCommands = { new("SELECT 1"), new("SELECT 2"), new("SELECT 3") } })
        {
            await batch.ExecuteNonQueryAsync();
        }

        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await using var insert = new NpgsqlCommand("CREATE TEMP TABLE t (x int); INSERT INTO t VALUES (1)", connection, transaction);
            await insert.ExecuteNonQueryAsync();
            await using var select = new NpgsqlCommand("SELECT $1::int", connection, transaction) { Parameters = { new() { Value = 5 } } };
            await select.ExecuteScalarAsync();
            await transaction.CommitAsync();
        }

        var after = await PgbouncerStats.ReadAsync(ServiceEndpoints.PgbouncerAdminUrl, database.Name, CancellationToken.None);

        Assert.NotNull(before);
        Assert.NotNull(after);
        Assert.True(counter.RoundTrips > 3);
        Assert.Equal(counter.RoundTrips, after.Value.Queries - before.Value.Queries);
        Assert.Equal(2, after.Value.Transactions - before.Value.Transactions);
    }
}
