using System.Globalization;
using AntennaIngest.Testing;
using AntennaIngest.Workload.Generation;
using NATS.Client.Core;
using Npgsql;
using NpgsqlTypes;
using StackExchange.Redis;

namespace AntennaIngest.Workload.Setup;

/// <summary>
/// Adds async jobs to a database `setup` prepared, as Antenna's MLJob.run leaves them: one night
/// of source images per job, the job row, its Redis state and JetStream task stream, every task
/// reserved so real `$JS.ACK` reply subjects exist. `setup` adds all its jobs at once; the chaos
/// soak keeps a builder open and adds jobs as it goes, so its database grows with the run.
/// </summary>
public sealed class JobBuilder : IAsyncDisposable
{
    private readonly Manifest _manifest;
    private readonly NpgsqlDataSource _dataSource;
    private readonly AntennaSeeder _seeder;
    private readonly SetupSettings _settings;
    private readonly List<(long Project, long Deployment, int Number)> _deployments;
    private readonly IReadOnlyList<(int Width, int Height, long Bytes)> _pool;
    private readonly long _jobIdBase;
    private readonly ConnectionMultiplexer _redisConnection;
    private readonly IDatabase _redis;
    private readonly NatsConnection _nats;
    private readonly List<JobPlan> _jobs = [];

    private JobBuilder(Manifest manifest, NpgsqlDataSource dataSource, SetupSettings settings, List<(long Project, long Deployment, int Number)> deployments, IReadOnlyList<(int Width, int Height, long Bytes)> pool, long jobIdBase, (ConnectionMultiplexer Connection, IDatabase Database) redis, NatsConnection nats)
    {
        _manifest = manifest;
        _dataSource = dataSource;
        _seeder = new AntennaSeeder(dataSource);
        _settings = settings;
        _deployments = deployments;
        _pool = pool;
        _jobIdBase = jobIdBase;
        (_redisConnection, _redis) = redis;
        _nats = nats;
    }

    /// <summary>The manifest with every job added so far.</summary>
    public Manifest Manifest => _manifest with { Jobs = _jobs.ToList() };

    /// <summary>Takes ownership of <paramref name="dataSource"/>.</summary>
    internal static async Task<JobBuilder> OpenAsync(Manifest manifest, NpgsqlDataSource dataSource, SetupSettings settings, List<(long Project, long Deployment, int Number)> deployments, IReadOnlyList<(int Width, int Height, long Bytes)> pool, long jobIdBase)
    {
        var redis = await ServiceClients.RedisAsync(manifest.RedisUrl);
        return new JobBuilder(manifest, dataSource, settings, deployments, pool, jobIdBase, redis, ServiceClients.Nats(manifest.NatsUrl));
    }

    /// <summary>Adds the next job (index = jobs so far) with the settings' images per job.</summary>
    public async Task<JobPlan> AddAsync(TextWriter log, CancellationToken cancellationToken)
    {
        var j = _jobs.Count;
        var projectIndex = j % _settings.Projects;
        var projectDeployments = _deployments.Skip(projectIndex * _settings.Deployments).Take(_settings.Deployments).ToList();
        var images = await SeedImagesAsync(_dataSource, _seeder, _settings, j, projectDeployments, _pool, cancellationToken);
        var jobId = _jobIdBase + j;
        await InsertJobAsync(_dataSource, jobId, projectDeployments[0].Project, _manifest.Pipeline.Id, images.Count, cancellationToken);

        var ids = images.Select(i => i.Id.ToString(CultureInfo.InvariantCulture)).ToList();
        await AntennaJobState.InitializeAsync(_redis, jobId, ids);
        var tasks = new AntennaJobTasks(_nats, jobId);
        await tasks.CreateAsync(TimeSpan.FromSeconds(_settings.AckWaitSeconds));
        await tasks.PublishTasksAsync(images.Select(i => (i.Id, i.Url)));
        var replies = await ReserveAllAsync(tasks, images.Count, cancellationToken);
        var planned = images.Select((image, index) => new ImagePlan(index, image.Id, image.Width, image.Height, image.Url, replies[image.Id.ToString(CultureInfo.InvariantCulture)])).ToList();
        var job = new JobPlan(j, jobId, projectDeployments[0].Project, planned);
        _jobs.Add(job);
        log.WriteLine($"setup: job {jobId}: {images.Count} images, Redis state and stream job_{jobId} ready, {replies.Count} tasks reserved");
        return job;
    }

    public async ValueTask DisposeAsync()
    {
        await _redisConnection.DisposeAsync();
        await _nats.DisposeAsync();
        await _dataSource.DisposeAsync();
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
