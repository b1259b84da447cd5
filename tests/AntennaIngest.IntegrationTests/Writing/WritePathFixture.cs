using AntennaIngest.Core.Configuration;
using AntennaIngest.Core.Contracts;
using AntennaIngest.Core.Metrics;
using AntennaIngest.Core.Processing;
using AntennaIngest.Postgres.Connections;
using AntennaIngest.Postgres.Counts;
using AntennaIngest.Postgres.Writing;
using AntennaIngest.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace AntennaIngest.IntegrationTests.Writing;

/// <summary>
/// A fresh database seeded with one Antenna project: a deployment with an S3 data source, an
/// event, images, a pipeline "main" (detector + binary classifier + species classifier with
/// category maps) and a second pipeline "other" with its own detector. The writer under test
/// goes through pgbouncer without prepared statements, or directly with them.
/// </summary>
public sealed class WritePathFixture : IAsyncDisposable
{
    public static readonly string[] BinaryLabels = ["moth", "nonmoth"];
    public static readonly string[] SpeciesLabels = ["Actias luna", "Agrotis ipsilon", "Catocala", "Noctua pronuba"];

    private readonly List<NpgsqlDataSource> _dataSources = [];

    private WritePathFixture(TestDatabase database)
    {
        Database = database;
    }

    public TestDatabase Database { get; }

    public AntennaSeeder Seeder => new(Database.DataSource);

    public IngestMetrics Metrics { get; } = new(new MetricsRegistry());

    public long Project { get; private set; }

    public long Deployment { get; private set; }

    public long Event { get; private set; }

    public long Detector { get; private set; }

    public long OtherDetector { get; private set; }

    public long Binary { get; private set; }

    public long Species { get; private set; }

    public long BinaryMap { get; private set; }

    public long SpeciesMap { get; private set; }

    public long Moth { get; private set; }

    public long Nonmoth { get; private set; }

    public long Luna { get; private set; }

    public long Ipsilon { get; private set; }

    public DateTimeOffset ImageTime { get; } = new(2024, 5, 31, 22, 15, 0, TimeSpan.Zero);

    public static async Task<WritePathFixture> CreateAsync(double scoreThreshold = 0.5)
    {
        var fixture = new WritePathFixture(await TestDatabase.CreateAsync("ingest_write"));
        await fixture.SeedAsync(scoreThreshold);
        return fixture;
    }

    public async Task<long> ImageAsync(string path, DateTimeOffset? timestamp = null, long? projectId = -1, string? publicBaseUrl = null) =>
        await Seeder.SourceImageAsync(Deployment, Event, projectId == -1 ? Project : projectId, path, timestamp ?? ImageTime, publicBaseUrl);

    public DatabaseSettings Settings(bool prepare, int connections = 4, int groupMax = 64, string? url = null) =>
        new SettingsReader(new Dictionary<string, string?>
        {
            ["DATABASE_URL"] = url ?? (prepare ? Database.DirectUrl : Database.PgbouncerUrl),
            ["INGEST_DB_PREPARE"] = prepare ? "true" : "false",
            ["INGEST_DB_CONNECTIONS"] = connections.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["INGEST_DB_GROUP_MAX"] = groupMax.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }).Read().Database;

    /// <summary>The production data source (slim builder) for these settings; disposed with the fixture.</summary>
    public NpgsqlDataSource DataSource(DatabaseSettings settings)
    {
        var dataSource = PostgresDataSource.Create(settings, NullLoggerFactory.Instance);
        _dataSources.Add(dataSource);
        return dataSource;
    }

    /// <param name="tableChanges">Who hears about committed tables; nobody by default.</param>
    public ResultWriter Writer(bool prepare, string? url = null, ITableChangeNotifier? tableChanges = null)
    {
        var settings = Settings(prepare, url: url);
        return new ResultWriter(DataSource(settings), settings, Metrics, tableChanges ?? NoTableChangeNotifier.Instance, NullLogger<ResultWriter>.Instance);
    }

    public GroupCommitSaver Saver(bool prepare, int connections, int groupMax = 64, string? url = null)
    {
        var settings = Settings(prepare, connections, groupMax, url);
        var writer = new ResultWriter(DataSource(settings), settings, Metrics, NoTableChangeNotifier.Instance, NullLogger<ResultWriter>.Instance);
        return new GroupCommitSaver(writer, settings, NullLogger<GroupCommitSaver>.Instance);
    }

    public PostgresCalculatedCounts Counts()
    {
        var settings = Settings(prepare: false);
        return new PostgresCalculatedCounts(DataSource(settings), settings, Metrics, NoTableChangeNotifier.Instance);
    }

    public static async Task<SaveOutcome> SaveAsync(ResultWriter writer, PipelineResultsResponse result) =>
        (await writer.WriteAsync([new SaveRequest(null, result)], CancellationToken.None))[0];

    public static async Task<SaveSummary> SavedAsync(ResultWriter writer, PipelineResultsResponse result)
    {
        var outcome = await SaveAsync(writer, result);
        Assert.True(outcome.Saved, outcome.FailureReason);
        return outcome.Summary!;
    }

    /// <summary>Every row of every table the write path touches, as text, for before/after comparisons.</summary>
    public async Task<string> DumpAsync()
    {
        var tables = new[]
        {
            "main_detection", "main_classification", "main_occurrence", "main_taxon", "main_taxalist", "main_taxalist_taxa",
            "ml_algorithmcategorymap", "ml_algorithm", "ml_pipeline", "main_sourceimage", "main_event", "main_deployment",
        };
        var builder = new System.Text.StringBuilder();
        foreach (var table in tables)
        {
            foreach (var row in await Database.RowsAsync($"SELECT t::text FROM {table} t ORDER BY id"))
            {
                builder.Append(table).Append(' ').Append(row[0]).Append('\n');
            }
        }

        return builder.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var dataSource in _dataSources)
        {
            await dataSource.DisposeAsync();
        }

        await Database.DisposeAsync();
    }

    private async Task SeedAsync(double scoreThreshold)
    {
        var seeder = Seeder;
        Project = await seeder.ProjectAsync(scoreThreshold: scoreThreshold);
        var source = await seeder.S3StorageSourceAsync(Project, "bucket", "key", "secret", null, "https://public.example.org/bucket");
        Deployment = await seeder.DeploymentAsync(Project, "Trap 1", source);
        Event = await seeder.EventAsync(Deployment, Project, new DateTimeOffset(2024, 5, 31, 22, 0, 0, TimeSpan.Zero));
        BinaryMap = await seeder.CategoryMapAsync(BinaryLabels, rank: "ORDER");
        SpeciesMap = await seeder.CategoryMapAsync(SpeciesLabels);
        await Database.ExecuteAsync("UPDATE ml_algorithmcategorymap SET data = jsonb_set(data, '{2,taxon_rank}', '\"GENUS\"') WHERE id = $1", SpeciesMap);
        Detector = await seeder.AlgorithmAsync("Moth detector", "detector", "detection");
        OtherDetector = await seeder.AlgorithmAsync("Other detector", "other-detector", "localization");
        Binary = await seeder.AlgorithmAsync("Moth / non-moth", "binary", "classification", BinaryMap);
        Species = await seeder.AlgorithmAsync("Species classifier", "species", "classification", SpeciesMap);
        await seeder.PipelineAsync("main", Detector, Binary, Species);
        await seeder.PipelineAsync("other", OtherDetector, Binary, Species);
        Moth = await seeder.TaxonAsync("Lepidoptera", rank: "ORDER", searchNames: ["moth"], ordering: 1);
        Nonmoth = await seeder.TaxonAsync("nonmoth", rank: "UNKNOWN");
        Luna = await seeder.TaxonAsync("Actias luna", ordering: 10);
        Ipsilon = await seeder.TaxonAsync("Agrotis ipsilon", ordering: 11);
    }
}
