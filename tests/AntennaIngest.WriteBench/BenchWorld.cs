using AntennaIngest.Testing;

namespace AntennaIngest.WriteBench;

/// <summary>
/// A fresh database seeded like a production project: one deployment and event, a pipeline with a
/// detector, a binary classifier and a species classifier whose category map and taxa hold every
/// label (the steady state: no taxon is created while measuring).
/// </summary>
internal sealed class BenchWorld : IAsyncDisposable
{
    public static readonly DateTime ImageTime = new(2024, 5, 31, 22, 15, 0, DateTimeKind.Utc);

    private BenchWorld(TestDatabase database) => Database = database;

    public TestDatabase Database { get; }

    public long Project { get; private set; }

    public long Deployment { get; private set; }

    public long Event { get; private set; }

    public long Detector { get; private set; }

    public long Binary { get; private set; }

    public long Species { get; private set; }

    public long BinaryMap { get; private set; }

    public long SpeciesMap { get; private set; }

    public Dictionary<string, long> Taxa { get; } = new(StringComparer.Ordinal);

    public static async Task<BenchWorld> CreateAsync(BenchOptions options)
    {
        var world = new BenchWorld(await TestDatabase.CreateAsync("ingest_bench"));
        var seeder = new AntennaSeeder(world.Database.DataSource);
        world.Project = await seeder.ProjectAsync(scoreThreshold: 0.5);
        var source = await seeder.S3StorageSourceAsync(world.Project, "bench", "k", "s", null, "https://public.example.org/bench");
        world.Deployment = await seeder.DeploymentAsync(world.Project, "Bench trap", source);
        world.Event = await seeder.EventAsync(world.Deployment, world.Project, new DateTimeOffset(2024, 5, 31, 22, 0, 0, TimeSpan.Zero));
        world.BinaryMap = await seeder.CategoryMapAsync(["moth", "nonmoth"], rank: "ORDER");
        world.SpeciesMap = await seeder.CategoryMapAsync([.. Enumerable.Range(0, options.Labels).Select(Mix.Label)]);
        world.Detector = await seeder.AlgorithmAsync("Moth detector", "bench-detector", "detection");
        world.Binary = await seeder.AlgorithmAsync("Binary", "bench-binary", "classification", world.BinaryMap);
        world.Species = await seeder.AlgorithmAsync("Species", "bench-species", "classification", world.SpeciesMap);
        await seeder.PipelineAsync("bench", world.Detector, world.Binary, world.Species);
        await world.Database.ExecuteAsync(
            """
            INSERT INTO main_taxon (created_at, updated_at, name, rank, active, display_name, author, notes, parents_json, search_names)
            SELECT now(), now(), n, r, true, n, '', '', '[]', '{}'
            FROM (SELECT 'Species ' || lpad(i::text, 4, '0') AS n, 'SPECIES' AS r FROM generate_series(0, $1 - 1) AS i
                  UNION ALL VALUES ('moth', 'ORDER'), ('nonmoth', 'UNKNOWN')) AS t(n, r)
            """,
            options.Labels);
        foreach (var row in await world.Database.RowsAsync("SELECT name, id FROM main_taxon"))
        {
            world.Taxa[(string)row[0]!] = (long)row[1]!;
        }

        await world.Database.ExecuteAsync("ANALYZE");
        return world;
    }

    /// <summary>New images of the deployment (unique paths by prefix), in id order.</summary>
    public async Task<long[]> ImagesAsync(string prefix, int count)
    {
        var rows = await Database.RowsAsync(
            """
            INSERT INTO main_sourceimage (created_at, updated_at, path, "timestamp", size, deployment_id, event_id, project_id, test_image)
            SELECT now(), now(), $1 || '/' || i || '.jpg', $2, 1000000, $3, $4, $5, false FROM generate_series(1, $6) AS i
            RETURNING id
            """,
            prefix,
            ImageTime,
            Deployment,
            Event,
            Project,
            count);
        return [.. rows.Select(r => (long)r[0]!).Order()];
    }

    public async Task<long> TotalBytesAsync() =>
        await Database.ScalarAsync<long>(
            "SELECT sum(pg_total_relation_size(c)) FROM unnest(ARRAY['main_detection', 'main_classification', 'main_occurrence']::regclass[]) AS c");

    public ValueTask DisposeAsync() => Database.DisposeAsync();
}
