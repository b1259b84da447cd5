using AntennaIngest.Testing;
using AntennaIngest.Workload.Cli;
using AntennaIngest.Workload.Generation;
using Npgsql;

namespace AntennaIngest.Workload.Setup;

/// <summary>
/// `setup`: an Antenna database with projects, deployments, events, source images served by the
/// image server, the benchmark pipeline with its category maps, taxa and taxa lists, and async
/// jobs whose Redis state and JetStream task streams are initialised as Antenna's MLJob.run does,
/// every task reserved so real `$JS.ACK` reply subjects exist. Writes manifest.json.
/// </summary>
public static class SetupCommand
{
    public const string Usage =
        """
        setup --out DIR [--jobs 2] [--images-per-job 100] [--seed 1] [--projects 1] [--deployments 2]
              [--database-url postgres://… (an existing database; default: a new one)] [--species-labels 3000]
              [--template-db NAME (the new database copies NAME, e.g. Antenna-migrated: scripts/antenna-oracle.sh template)]
              [--image-base-url http://127.0.0.1:58480/] [--images-dir DIR] [--ack-wait 7200] [--job-id-base N]
        """;

    public static async Task<int> RunAsync(Options options)
    {
        var settings = new SetupSettings(
            Out: options.Required("out"),
            Jobs: options.Number("jobs", 2),
            ImagesPerJob: options.Number("images-per-job", 100),
            Seed: options.Number("seed", 1),
            Projects: options.Number("projects", 1),
            Deployments: options.Number("deployments", 2),
            DatabaseUrl: options.Get("database-url"),
            SpeciesLabels: options.Number("species-labels", 3000),
            ImageBaseUrl: options.Get("image-base-url", "http://127.0.0.1:58480/"),
            ImagesDir: options.Get("images-dir"),
            AckWaitSeconds: options.Number("ack-wait", 7200),
            JobIdBase: options.BigNumber("job-id-base", 0),
            TemplateDatabase: options.Get("template-db"));
        options.EnsureAllRead();
        var manifest = await BuildAsync(settings, Console.Out, CancellationToken.None);
        Console.WriteLine($"setup: database {manifest.Database}, {manifest.Jobs.Count} job(s), {manifest.ImageCount} images -> {Path.Combine(settings.Out, "manifest.json")}");
        return 0;
    }

    public static async Task<Manifest> BuildAsync(SetupSettings settings, TextWriter log, CancellationToken cancellationToken)
    {
        await using var jobs = await StartAsync(settings, log, cancellationToken);
        return jobs.Manifest;
    }

    /// <summary>Builds what <see cref="BuildAsync"/> does and keeps the builder open, to add jobs later.</summary>
    public static async Task<JobBuilder> StartAsync(SetupSettings settings, TextWriter log, CancellationToken cancellationToken)
    {
        var jobs = await PrepareAsync(settings, log, cancellationToken);
        for (var j = 0; j < settings.Jobs; j++)
        {
            await jobs.AddAsync(log, cancellationToken);
        }

        jobs.Manifest.Save(Path.Combine(settings.Out, "manifest.json"));
        return jobs;
    }

    // Everything but the jobs: the database with its schema, the pipeline, projects and deployments.
    private static async Task<JobBuilder> PrepareAsync(SetupSettings settings, TextWriter log, CancellationToken cancellationToken)
    {
        if (settings.ImagesPerJob is < 1 or > 1000)
        {
            // Antenna's consumer has max_ack_pending 1000: more tasks per job cannot all be reserved at once.
            throw new UsageException("--images-per-job must be 1..1000 (Antenna's max_ack_pending per job consumer)");
        }

        Directory.CreateDirectory(settings.Out);
        var imagesDir = Path.GetFullPath(settings.ImagesDir ?? Path.Combine(settings.Out, "images"));
        var pool = ImagePool.Ensure(imagesDir, settings.Seed);

        string directUrl;
        if (settings.DatabaseUrl is null)
        {
            var database = await TestDatabase.CreateAsync("workload", template: settings.TemplateDatabase);
            directUrl = database.DirectUrl;
            await database.DataSource.DisposeAsync();
        }
        else
        {
            directUrl = settings.DatabaseUrl;
        }

        var databaseName = new Uri(directUrl).AbsolutePath.TrimStart('/');
        var dataSource = NpgsqlDataSource.Create(ServiceEndpoints.ToConnectionString(directUrl));
        try
        {
            return await SeedAsync(settings, log, directUrl, databaseName, imagesDir, pool, dataSource, cancellationToken);
        }
        catch
        {
            await dataSource.DisposeAsync();
            throw;
        }
    }

    // The database's fixed part; the builder it returns owns the data source.
    private static async Task<JobBuilder> SeedAsync(SetupSettings settings, TextWriter log, string directUrl, string databaseName, string imagesDir, IReadOnlyList<(int Width, int Height, long Bytes)> pool, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(dataSource, cancellationToken);
        var seeder = new AntennaSeeder(dataSource);

        var pipeline = await SeedPipelineAsync(dataSource, seeder, settings.SpeciesLabels, cancellationToken);
        log.WriteLine($"setup: pipeline {pipeline.Slug} with {settings.SpeciesLabels} species labels");

        var deployments = new List<(long Project, long Deployment, int Number)>();
        for (var p = 0; p < settings.Projects; p++)
        {
            var project = await seeder.ProjectAsync($"Benchmark project {p + 1}");
            for (var d = 0; d < settings.Deployments; d++)
            {
                var number = (p * settings.Deployments) + d + 1;
                deployments.Add((project, await seeder.DeploymentAsync(project, $"Trap {number}"), number));
            }
        }

        var jobIdBase = settings.JobIdBase > 0 ? settings.JobIdBase : (Random.Shared.NextInt64(100_000, 900_000) * 10_000);
        var manifest = new Manifest(
            databaseName,
            directUrl,
            ServiceEndpoints.WithDatabase(ServiceEndpoints.PgbouncerUrl, databaseName),
            ServiceEndpoints.RedisUrl,
            ServiceEndpoints.NatsUrl,
            settings.ImageBaseUrl,
            imagesDir,
            settings.SpeciesLabels,
            settings.AckWaitSeconds,
            pipeline,
            []);
        return await JobBuilder.OpenAsync(manifest, dataSource, settings, deployments, pool, jobIdBase);
    }

    private static async Task EnsureSchemaAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var check = dataSource.CreateCommand("SELECT to_regclass('public.main_project') IS NOT NULL");
        if (!(bool)(await check.ExecuteScalarAsync(cancellationToken))!)
        {
            await using var load = dataSource.CreateCommand(await File.ReadAllTextAsync(TestDatabase.SchemaPath, cancellationToken));
            await load.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private static async Task<PipelinePlan> SeedPipelineAsync(NpgsqlDataSource dataSource, AntennaSeeder seeder, int speciesCount, CancellationToken cancellationToken)
    {
        var species = Taxonomy.SpeciesLabels(speciesCount);
        await using (var taxa = dataSource.CreateCommand(
            """
            INSERT INTO main_taxon (created_at, updated_at, name, rank, active, "ordering", display_name, author, notes, parents_json, search_names)
            SELECT now(), now(), n, r, true, NULL, n, '', '', '[]', '{}' FROM unnest($1::text[], $2::text[]) AS u(n, r)
            """))
        {
            taxa.Parameters.Add(new NpgsqlParameter { Value = Taxonomy.BinaryLabels.Concat(species).ToArray() });
            taxa.Parameters.Add(new NpgsqlParameter { Value = Taxonomy.BinaryLabels.Select(_ => "UNKNOWN").Concat(species.Select(_ => "SPECIES")).ToArray() });
            await taxa.ExecuteNonQueryAsync(cancellationToken);
        }

        var binaryMap = await seeder.CategoryMapAsync(Taxonomy.BinaryLabels, "UNKNOWN");
        var speciesMap = await seeder.CategoryMapAsync(species);
        var detector = new AlgorithmPlan(0, "Moth detector (benchmark)", "bench_moth_detector");
        var binary = new AlgorithmPlan(0, "Moth / non-moth classifier (benchmark)", "bench_moth_binary");
        var speciesAlgorithm = new AlgorithmPlan(0, "Species classifier (benchmark)", "bench_species");
        detector = detector with { Id = await seeder.AlgorithmAsync(detector.Name, detector.Key, "localization") };
        binary = binary with { Id = await seeder.AlgorithmAsync(binary.Name, binary.Key, "classification", binaryMap) };
        speciesAlgorithm = speciesAlgorithm with { Id = await seeder.AlgorithmAsync(speciesAlgorithm.Name, speciesAlgorithm.Key, "classification", speciesMap) };
        var slug = "bench_moths_2024";
        var pipelineId = await seeder.PipelineAsync(slug, detector.Id, binary.Id, speciesAlgorithm.Id);

        // The global taxa lists save_results keeps per classifier, already holding every label (steady state).
        foreach (var (algorithm, labels) in new[] { (binary, Taxonomy.BinaryLabels), (speciesAlgorithm, species) })
        {
            await using var list = dataSource.CreateCommand(
                """
                WITH l AS (INSERT INTO main_taxalist (created_at, updated_at, name, description) VALUES (now(), now(), $1, '') RETURNING id)
                INSERT INTO main_taxalist_taxa (taxalist_id, taxon_id) SELECT l.id, t.id FROM l, main_taxon t WHERE t.name = ANY($2)
                """);
            list.Parameters.Add(new NpgsqlParameter { Value = $"Taxa returned by {algorithm.Name}" });
            list.Parameters.Add(new NpgsqlParameter { Value = labels });
            await list.ExecuteNonQueryAsync(cancellationToken);
        }

        return new PipelinePlan(pipelineId, slug, detector, binary, speciesAlgorithm);
    }
}

public sealed record SetupSettings(
    string Out,
    int Jobs,
    int ImagesPerJob,
    int Seed,
    int Projects,
    int Deployments,
    string? DatabaseUrl,
    int SpeciesLabels,
    string ImageBaseUrl,
    string? ImagesDir,
    int AckWaitSeconds,
    long JobIdBase,
    string? TemplateDatabase = null);
