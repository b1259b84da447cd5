using AntennaIngest.Testing;
using Npgsql;

namespace AntennaIngest.IntegrationTests.Testing;

public sealed class PgRoundTripCounterTests
{
    [Fact]
    public async Task A_batch_of_statements_is_one_round_trip_and_separate_commands_are_one_each()
    {
        await using var database = await TestDatabase.CreateAsync(withSchema: false);
        var pgbouncer = new Uri(database.PgbouncerUrl);
        await using var counter = new PgRoundTripCounter(pgbouncer.Host, pgbouncer.Port);
        await using var dataSource = NpgsqlDataSource.Create(ServiceEndpoints.ToConnectionString(counter.Through(database.PgbouncerUrl)));
        await using var connection = await dataSource.OpenConnectionAsync();
        counter.Reset();

        await using (var batch = new NpgsqlBatch(connection)
        {
            BatchCommands = { new("SELECT 1"), new("SELECT 2"), new("SELECT 3") },
        })
        {
            await batch.ExecuteNonQueryAsync();
        }

        Assert.Equal(1, counter.RoundTrips);

        await using (var one = new NpgsqlCommand("SELECT 1", connection))
        {
            await one.ExecuteScalarAsync();
            await one.ExecuteScalarAsync();
        }

        Assert.Equal(3, counter.RoundTrips);
    }
}
