using System.Globalization;
using AntennaIngest.Testing;
using AntennaIngest.Workload.Cli;
using AntennaIngest.Workload.Generation;
using Npgsql;
using NpgsqlTypes;

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
        await using var dataSource = NpgsqlDataSource.Create(ServiceEndpoints.ToConnectionString(directUrl));
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
        var (redisConnection, redis) = await ServiceClients.RedisAsync(ServiceEndpoints.RedisUrl);
        await using var nats = ServiceClients.Nats(ServiceEndpoints.NatsUrl);
        var jobs = new List<JobPlan>();
        try
        {
            for (var j = 0; j < settings.Jobs; j++)
            {
                var projectIndex = j % settings.Projects;
                var projectDeployments = deployments.Skip(projectIndex * settings.Deployments).Take(settings.Deployments).ToList();
                var images = await SeedImagesAsync(dataSource, seeder, settings, j, projectDeployments, pool, cancellationToken);
                var jobId = jobIdBase + j;
                await InsertJobAsync(dataSource, jobId, projectDeployments[0].Project, pipeline.Id, images.Count, cancellationToken);

                var ids = images.Select(i => i.Id.ToString(CultureInfo.InvariantCulture)).ToList();
                await AntennaJobState.InitializeAsync(redis, jobId, ids);
                var tasks = new AntennaJobTasks(nats, jobId);
                await tasks.CreateAsync(TimeSpan.FromSeconds(settings.AckWaitSeconds));
                await tasks.PublishTasksAsync(images.Select(i => (i.Id, i.Url)));
                var replies = await ReserveAllAsync(tasks, images.Count, cancellationToken);
                var planned = images.Select((image, index) => new ImagePlan(index, image.Id, image.Width, image.Height, image.Url, replies[image.Id.ToString(CultureInfo.InvariantCulture)])).ToList();
                jobs.Add(new JobPlan(j, jobId, projectDeployments[0].Project, planned));
                log.WriteLine($"setup: job {jobId}: {images.Count} images, Redis state and stream job_{jobId} ready, {replies.Count} tasks reserved");
            }
        }
        finally
        {
            await redisConnection.DisposeAsync();
        }

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
            jobs);
        manifest.Save(Path.Combine(settings.Out, "manifest.json"));
        return manifest;
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

    private static async Task<List<(long Id, int Width, int Height, string Url)>> SeedImagesAsync(
        NpgsqlDataSource dataSource,
        AntennaSeeder seeder,
        SetupSettings settings,
        int jobIndex,
        List<(long Project, long Deployment, int Number)> deployments,
        IReadOnlyList<(int Width, int Height, long Bytes)> pool,
        CancellationToken cancellationToken)
    {
        // Each job is one night of captures: one event per deployment, images every 30 s from 22:00.
        var night = new DateTimeOffset(2026, 6, 1, 22, 0, 0, TimeSpan.Zero).AddDays(jobIndex);
        var events = new List<long>();
        foreach (var (project, deployment, _) in deployments)
        {
            events.Add(await seeder.EventAsync(deployment, project, night));
        }

        var random = new Random(ResultGenerator.Mix(settings.Seed, jobIndex, -1));
        var count = settings.ImagesPerJob;
        var paths = new string[count];
        var stamps = new DateTimeOffset[count];
        var widths = new int[count];
        var heights = new int[count];
        var sizes = new long[count];
        var deploymentIds = new long[count];
        var eventIds = new long[count];
        var projectIds = new long[count];
        for (var i = 0; i < count; i++)
        {
            var d = i % deployments.Count;
            var poolIndex = random.Next(pool.Count);
            stamps[i] = night.AddSeconds(30 * (i / deployments.Count));
            paths[i] = string.Create(CultureInfo.InvariantCulture, $"trap-{deployments[d].Number}/{night:yyyy-MM-dd}/{stamps[i]:yyyyMMddHHmmss}-snapshot-{jobIndex}-{i}_p{poolIndex}.jpg");
            (widths[i], heights[i], sizes[i]) = pool[poolIndex];
            deploymentIds[i] = deployments[d].Deployment;
            eventIds[i] = events[d];
            projectIds[i] = deployments[d].Project;
        }

        await using var insert = dataSource.CreateCommand(
            """
            INSERT INTO main_sourceimage (created_at, updated_at, path, public_base_url, "timestamp", width, height, size, deployment_id, event_id, project_id, test_image)
            SELECT now(), now(), p, $9, ts, w, h, s, d, e, pr, false
            FROM unnest($1::text[], $2::timestamptz[], $3::int[], $4::int[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[]) AS u(p, ts, w, h, s, d, e, pr)
            RETURNING id, path
            """);
        insert.Parameters.Add(new NpgsqlParameter { Value = paths });
        insert.Parameters.Add(new NpgsqlParameter { Value = stamps, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        insert.Parameters.Add(new NpgsqlParameter { Value = widths });
        insert.Parameters.Add(new NpgsqlParameter { Value = heights });
        insert.Parameters.Add(new NpgsqlParameter { Value = sizes });
        insert.Parameters.Add(new NpgsqlParameter { Value = deploymentIds });
        insert.Parameters.Add(new NpgsqlParameter { Value = eventIds });
        insert.Parameters.Add(new NpgsqlParameter { Value = projectIds });
        insert.Parameters.Add(new NpgsqlParameter { Value = settings.ImageBaseUrl });
        var byPath = new Dictionary<string, long>(StringComparer.Ordinal);
        await using (var reader = await insert.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                byPath[reader.GetString(1)] = reader.GetInt64(0);
            }
        }

        var baseUrl = settings.ImageBaseUrl.EndsWith('/') ? settings.ImageBaseUrl : settings.ImageBaseUrl + "/";
        return paths.Select((path, i) => (byPath[path], widths[i], heights[i], baseUrl + path)).ToList();
    }

    private static async Task InsertJobAsync(NpgsqlDataSource dataSource, long jobId, long projectId, long pipelineId, int totalImages, CancellationToken cancellationToken)
    {
        // As MLJob.run leaves an async_api job: STARTED, collect stage done, explicit id so Redis
        // keys and stream names never collide with other databases on the same servers.
        await using var command = dataSource.CreateCommand(
            """
            INSERT INTO jobs_job (id, created_at, updated_at, name, queue, started_at, status, progress, project_id, pipeline_id,
                delay, shuffle, job_type_key, logs, dispatch_mode)
            VALUES ($1, now(), now(), $2, 'default', now(), 'STARTED', $3::jsonb, $4, $5, 0, true, 'ml', '{"stdout":[],"stderr":[]}', 'async_api')
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = jobId });
        command.Parameters.Add(new NpgsqlParameter { Value = $"Benchmark ML job {jobId}" });
        command.Parameters.Add(new NpgsqlParameter { Value = AntennaSeeder.InitialProgress("STARTED", totalImages).ToJsonString() });
        command.Parameters.Add(new NpgsqlParameter { Value = projectId });
        command.Parameters.Add(new NpgsqlParameter { Value = pipelineId });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<Dictionary<string, string>> ReserveAllAsync(AntennaJobTasks tasks, int count, CancellationToken cancellationToken)
    {
        var replies = new Dictionary<string, string>(StringComparer.Ordinal);
        var idle = 0;
        while (replies.Count < count && idle < 50)
        {
            var batch = await tasks.ReserveAsync(Math.Min(256, count - replies.Count));
            foreach (var (imageId, reply) in batch)
            {
                replies[imageId] = reply;
            }

            idle = batch.Count == 0 ? idle + 1 : 0;
            if (batch.Count == 0)
            {
                await Task.Delay(20, cancellationToken);
            }
        }

        return replies.Count == count ? replies : throw new InvalidOperationException($"reserved {replies.Count} of {count} tasks of stream {tasks.StreamName}");
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
