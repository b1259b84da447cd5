using AntennaIngest.Core.Configuration;
using AntennaIngest.Postgres.Connections;
using AntennaIngest.Postgres.Schema;
using AntennaIngest.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace AntennaIngest.IntegrationTests.Postgres;

public sealed class SchemaCheckTests
{
    private static DatabaseSettings Through(string url) =>
        new SettingsReader(new Dictionary<string, string?> { ["DATABASE_URL"] = url }).Read().Database;

    [Fact]
    public async Task The_fixture_has_every_table_and_column_the_binary_touches_through_pgbouncer()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var dataSource = PostgresDataSource.Create(Through(database.PgbouncerUrl), NullLoggerFactory.Instance);

        var problems = await SchemaCheck.FindProblemsAsync(dataSource, "America/New_York", CancellationToken.None);

        Assert.Empty(problems);
    }

    [Fact]
    public async Task A_missing_table_a_missing_column_and_an_unknown_zone_are_each_named()
    {
        await using var database = await TestDatabase.CreateAsync();
        await database.ExecuteAsync("DROP TABLE main_taxalist_projects");
        await database.ExecuteAsync("ALTER TABLE main_detection DROP COLUMN path, DROP COLUMN bbox");
        await using var dataSource = PostgresDataSource.Create(Through(database.DirectUrl), NullLoggerFactory.Instance);

        var problems = await SchemaCheck.FindProblemsAsync(dataSource, "Mars/Olympus_Mons", CancellationToken.None);

        Assert.Equal(
            [
                "TIME_ZONE 'Mars/Olympus_Mons' is not a time zone PostgreSQL knows",
                "table main_detection lacks column(s) bbox, path",
                "table main_taxalist_projects is missing",
            ],
            problems.Order(StringComparer.Ordinal));
    }
}
