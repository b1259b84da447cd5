using AntennaIngest.Core.Processing;
using static AntennaIngest.IntegrationTests.Writing.Results;

namespace AntennaIngest.IntegrationTests.Writing;

public sealed class FaultTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_writer_whose_server_connection_is_killed_mid_transaction_reports_postgres_unavailable_and_recovers(bool prepare)
    {
        await using var fixture = await WritePathFixture.CreateAsync();
        var image = await fixture.ImageAsync("a/1.jpg");
        var writer = fixture.Writer(prepare);
        var result = Response("main", [image], Detection(image, Box(1, 2, 3, 4), classifications: [Classification("species", "Actias luna", [0.9, 0.1, 0, 0])]));

        // Hold the image's lock so the writer is inside its transaction, waiting, when its backend dies.
        await using (var blocker = await fixture.Database.DataSource.OpenConnectionAsync())
        await using (var transaction = await blocker.BeginTransactionAsync())
        {
            await using (var lockImage = new Npgsql.NpgsqlCommand("SELECT pg_advisory_xact_lock($1, hashint8($2::bigint))", blocker, transaction))
            {
                lockImage.Parameters.Add(new Npgsql.NpgsqlParameter { Value = 0x414E5449 /* ReadSql.ImageLockNamespace */ });
                lockImage.Parameters.Add(new Npgsql.NpgsqlParameter { Value = image });
                await lockImage.ExecuteNonQueryAsync();
            }

            var save = WritePathFixture.SaveAsync(writer, result);
            var pid = await WaitForAdvisoryWaiterAsync(fixture);
            await fixture.Database.ExecuteAsync("SELECT pg_terminate_backend($1)", pid);

            var error = await Assert.ThrowsAsync<DependencyUnavailableException>(() => save);
            Assert.Equal("postgres", error.Dependency);
        }

        Assert.Equal(0L, await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM main_detection"));
        var retried = await WritePathFixture.SavedAsync(writer, result);
        Assert.Equal(1, retried.DetectionsCreated);
    }

    private static async Task<int> WaitForAdvisoryWaiterAsync(WritePathFixture fixture)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var pid = await fixture.Database.ScalarAsync<int?>(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = 'advisory' LIMIT 1");
            if (pid is { } found)
            {
                return found;
            }

            await Task.Delay(25);
        }

        throw new TimeoutException("the writer never waited on the image's advisory lock");
    }
}
