using System.Diagnostics;
using AntennaIngest.Core.Configuration;
using AntennaIngest.IntegrationTests.Testing;
using AntennaIngest.IntegrationTests.Writing;
using AntennaIngest.Postgres.Connections;
using AntennaIngest.Postgres.Schema;
using AntennaIngest.Redis.Cache;
using AntennaIngest.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;
using static AntennaIngest.IntegrationTests.Writing.Results;

namespace AntennaIngest.IntegrationTests.Redis;

/// <summary>
/// The binary's commits invalidate django-cachalot's cached queries the way Antenna's ORM writes
/// do. Expected keys and values were produced by Python (hashlib.sha1, pickle.dumps(x, 4)); the
/// differential suite checks the same against Antenna's own cachalot reads.
/// </summary>
public sealed class CachalotInvalidationTests : IAsyncLifetime
{
    // A database of its own: the keys are global per database, and nothing else uses this one.
    private const int Database = 7;
    private ConnectionMultiplexer _redis = null!;
    private IDatabase _db = null!;

    public async Task InitializeAsync()
    {
        _redis = await TestRedis.ConnectAsync();
        _db = _redis.GetDatabase(Database);
        await ForgetKeysAsync();
    }

    public async Task DisposeAsync()
    {
        await ForgetKeysAsync();
        await _redis.DisposeAsync();
    }

    private Task<long> ForgetKeysAsync() =>
        _db.KeyDeleteAsync([.. AntennaSchema.RequiredColumns.Keys.Select(t => (RedisKey)CachalotKeys.TableKey(t))]);

    [Fact]
    public void Keys_and_values_are_the_bytes_cachalot_and_django_redis_write()
    {
        Assert.Equal(":1:8c913d225bc6df34bbf7b23e7c797f87b519b8cc", CachalotKeys.TableKey("main_detection"));
        Assert.Equal(":1:37c0a077d4235f43e8124e2de293566473b9f119", CachalotKeys.TableKey("jobs_job"));
        Assert.Equal(
            Convert.FromHexString("8004950a000000000000004741da4bcbd81000002e"),
            CachalotKeys.PickledTimestamp(DateTimeOffset.FromUnixTimeMilliseconds(1_764_700_000_250)));
        Assert.False(CachalotKeys.IsCachable("django_migrations"));
    }

    [Theory]
    [InlineData("INSERT INTO main_detection (id) SELECT u.id FROM unnest($1) u JOIN main_sourceimage si ON si.id = u.id", "main_detection")]
    [InlineData("UPDATE main_detection d SET path = u.path FROM unnest($1) AS u(id) WHERE d.id = u.id", "main_detection")]
    [InlineData("WITH gone AS (DELETE FROM jobs_joblog WHERE id = 1) UPDATE \"jobs_job\" SET status = 'x'", "jobs_joblog,jobs_job")]
    [InlineData("INSERT INTO main_taxon (name) VALUES ($1) ON CONFLICT (name) DO UPDATE SET name = excluded.name", "main_taxon")]
    [InlineData("SELECT id FROM main_detection FOR UPDATE", "")]
    public void The_tables_a_statement_writes_are_read_from_its_text(string sql, string expected)
    {
        Assert.Equal(expected.Split(',', StringSplitOptions.RemoveEmptyEntries), WrittenTables.Of(sql));
    }

    [Fact]
    public async Task A_saved_result_bumps_the_key_of_every_table_it_wrote_without_expiry()
    {
        await using var fixture = await WritePathFixture.CreateAsync();
        var image = await fixture.ImageAsync("cachalot/1.jpg");
        var writer = fixture.Writer(prepare: false, tableChanges: Invalidator(_redis));
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

        await WritePathFixture.SavedAsync(writer, Response(
            "main",
            [image],
            Detection(image, Box(1, 2, 30, 40), classifications: [Classification("species", "Actias luna", [0.7, 0.1, 0.1, 0.1], labels: WritePathFixture.SpeciesLabels)])));

        foreach (var table in new[] { "main_detection", "main_classification", "main_occurrence", "main_sourceimage" })
        {
            var stamp = await StampAsync(table);
            Assert.True(stamp >= before, $"{table}: {stamp} < {before}");
            Assert.Null(await _db.KeyTimeToLiveAsync(CachalotKeys.TableKey(table)));
        }

        Assert.False(await _db.KeyExistsAsync(CachalotKeys.TableKey("main_event")), "no statement wrote main_event");
    }

    [Fact]
    public async Task The_tables_it_starts_with_go_with_the_first_call_even_an_empty_one()
    {
        var invalidator = new CachalotInvalidator(_redis, Database, NullLogger<CachalotInvalidator>.Instance, ["main_event", "django_migrations"]);

        await invalidator.TablesChangedAsync([], CancellationToken.None);

        Assert.True(await _db.KeyExistsAsync(CachalotKeys.TableKey("main_event")));
        Assert.False(await _db.KeyExistsAsync(CachalotKeys.TableKey("django_migrations")), "cachalot never caches django_migrations");
        await _db.KeyDeleteAsync(CachalotKeys.TableKey("main_event"));
        await invalidator.TablesChangedAsync([], CancellationToken.None);
        Assert.False(await _db.KeyExistsAsync(CachalotKeys.TableKey("main_event")), "sent once");
    }

    [Fact]
    public async Task Tables_not_sent_while_redis_was_away_go_with_the_next_call()
    {
        var port = LoopbackPorts.Free();
        var options = ConfigurationOptions.Parse($"127.0.0.1:{port}");
        options.AbortOnConnectFail = false;
        options.ConnectTimeout = 300;
        options.AsyncTimeout = 500;
        options.ConnectRetry = 0;
        options.BacklogPolicy = BacklogPolicy.FailFast;
        await using var away = await ConnectionMultiplexer.ConnectAsync(options);
        var invalidator = Invalidator(away);

        // Redis is not there: the commit's caller is not failed, the table is kept.
        await invalidator.TablesChangedAsync(["jobs_job"], CancellationToken.None);

        using var server = Process.Start(new ProcessStartInfo("redis-server", ["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--save", "", "--appendonly", "no"])
        {
            RedirectStandardOutput = true,
        })!;
        try
        {
            var deadline = Stopwatch.StartNew();
            while (!away.IsConnected && deadline.Elapsed < TimeSpan.FromSeconds(15))
            {
                await Task.Delay(100);
            }

            Assert.True(away.IsConnected, "the multiplexer reconnects to the started server");
            await invalidator.TablesChangedAsync(["jobs_joblog"], CancellationToken.None);

            var db = away.GetDatabase(Database);
            Assert.True(await db.KeyExistsAsync(CachalotKeys.TableKey("jobs_job")), "the deferred table was sent");
            Assert.True(await db.KeyExistsAsync(CachalotKeys.TableKey("jobs_joblog")));
        }
        finally
        {
            server.Kill();
            await server.WaitForExitAsync();
        }
    }

    private static CachalotInvalidator Invalidator(IConnectionMultiplexer redis) =>
        new(redis, Database, NullLogger<CachalotInvalidator>.Instance);

    private async Task<double> StampAsync(string table)
    {
        var value = (byte[]?)await _db.StringGetAsync(CachalotKeys.TableKey(table));
        Assert.NotNull(value);
        Assert.Equal(21, value.Length);
        return System.Buffers.Binary.BinaryPrimitives.ReadDoubleBigEndian(value.AsSpan(12, 8));
    }

}
