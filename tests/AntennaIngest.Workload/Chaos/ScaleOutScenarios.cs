using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace AntennaIngest.Workload.Chaos;

/// <summary>
/// Several copies of the binary on one Celery queue and the same jobs' task streams, as a
/// deployment scales out: RabbitMQ spreads the results over the copies, and the job state they
/// share lives in PostgreSQL, Redis and JetStream only.
/// </summary>
public static class ScaleOutScenarios
{
    private const int Instances = 3;
    private const int Jobs = 4;

    // Antenna's default NATS_TASK_TTR: the ack_wait of every job's task consumer.
    private const int AntennaAckWaitSeconds = 30;

    // ChaosWorld.StartBinary's INGEST_SHUTDOWN_TIMEOUT.
    private const int ShutdownTimeoutSeconds = 20;

    private const int CropThreads = 2;

    // CropProcessor.ConcurrentImages in the binary: images whose crops are in hand at once.
    private const int ImagesCroppedAtOnce = 4;

    private static readonly TimeSpan s_drain = TimeSpan.FromSeconds(180);

    /// <summary>
    /// A random instance is SIGKILLed every 1–3 s and started again at once (as systemd's
    /// Restart=always does), <paramref name="kills"/> times, while a paced backlog of four jobs
    /// arrives; crops on. Progress, counters and final status must come out exact, and every
    /// detection cropped into exactly one file.
    /// </summary>
    public static async Task<ScenarioResult> Kill9Async(ChaosSettings settings, int kills)
    {
        var perJob = settings.Quick ? 20 : 60;
        await using var world = await ChaosWorld.CreateAsync(settings, "scale-out-kill9", perJob, Jobs);
        // Writer groups of at most 2 results make many transactions for the kills to land in.
        var environment = new Dictionary<string, string> { ["INGEST_CROPS"] = "true", ["INGEST_DB_GROUP_MAX"] = "2", ["INGEST_CROP_THREADS"] = CropThreads.ToString(CultureInfo.InvariantCulture) };
        var running = Enumerable.Range(0, Instances).Select(i => world.StartBinary(environment, Instance(i))).ToArray();

        // The backlog arrives over about as long as the kills take, so instances die with work in hand.
        var enqueue = world.EnqueueAsync(rate: perJob * Jobs / (kills * 2.0));
        var random = new Random(settings.Seed);
        var killed = 0;
        var killedWithWork = 0;
        while (killed < kills)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(random.Next(1000, 3000)));
            var victim = random.Next(Instances);
            ChaosWorld.SigKill(running[victim]);
            if (!await ChaosWorld.WaitAsync(() => running[victim].HasExited, TimeSpan.FromSeconds(10)))
            {
                break;
            }

            killed++;
            killedWithWork += enqueue.IsCompleted ? 0 : 1;
            running[victim] = world.StartBinary(environment, Instance(victim));
        }

        await enqueue;
        var drained = await ChaosWorld.WaitAsync(() => world.AllAcked, s_drain);
        await using var database = world.DirectDatabase();
        await ChaosWorld.WaitAsync(async () => await Scenarios.CropsPendingAsync(database) == 0, TimeSpan.FromSeconds(60));
        var exits = await StopAllAsync(world, running);
        var tally = await world.TallyAsync();
        var (cropsOk, cropNote) = await CropFilesAsync(world, database, killed);
        var ok = drained && killed == kills && exits.All(e => e == 0) && cropsOk;
        return Scenarios.Result(
            world.Name,
            killed,
            tally,
            null,
            ok,
            $"{Instances} instances, {Jobs} jobs; {killed} kills ({killedWithWork} while results were still arriving), each instance restarted at once; exit codes at the end {string.Join('/', exits)}; {cropNote}");
    }

    /// <summary>
    /// SIGTERM one instance at a time under load and start its replacement, as a rolling
    /// deployment does. No result may wait from enqueue to ack longer than the shutdown timeout
    /// plus one ack_wait.
    /// </summary>
    public static async Task<ScenarioResult> RollingRestartAsync(ChaosSettings settings)
    {
        var perJob = settings.Quick ? 20 : 60;
        await using var world = await ChaosWorld.CreateAsync(settings, "scale-out-rolling-restart", perJob, Jobs);
        var running = Enumerable.Range(0, Instances).Select(i => world.StartBinary(null, Instance(i))).ToArray();
        var enqueue = world.EnqueueAsync(rate: perJob * Jobs / 20.0); // 20 s of arrivals
        await ChaosWorld.WaitAsync(() => world.Acked > 0, TimeSpan.FromSeconds(60));
        var exits = new List<int>();
        var stopSeconds = new List<double>();
        for (var i = 0; i < Instances; i++)
        {
            var stop = Stopwatch.StartNew();
            exits.Add(await world.TerminateAsync(running[i], TimeSpan.FromSeconds(ShutdownTimeoutSeconds + 10)));
            stopSeconds.Add(stop.Elapsed.TotalSeconds);
            running[i] = world.StartBinary(null, Instance(i));
            await Task.Delay(TimeSpan.FromSeconds(2)); // the replacement takes its share before the next one goes
        }

        await enqueue;
        var drained = await ChaosWorld.WaitAsync(() => world.AllAcked, s_drain);
        exits.AddRange(await StopAllAsync(world, running));
        var tally = await world.TallyAsync();
        var waits = world.SecondsEnqueueToAck();
        var longest = waits.Count > 0 ? waits.Max() : double.NaN;
        const int Bound = ShutdownTimeoutSeconds + AntennaAckWaitSeconds;
        var ok = drained && exits.All(e => e == 0) && longest <= Bound;
        return Scenarios.Result(
            world.Name,
            Instances,
            tally,
            null,
            ok,
            string.Create(CultureInfo.InvariantCulture, $"{Instances} instances replaced one at a time, each stopped in {string.Join('/', stopSeconds.Select(s => s.ToString("F1", CultureInfo.InvariantCulture)))} s; longest enqueue → ack {longest:F1} s (bound {Bound} s: shutdown timeout + Antenna's ack_wait); exit codes {string.Join('/', exits)}"));
    }

    /// <summary>
    /// Instances whose INGEST_DB_CONNECTIONS add up to three times pgbouncer's pool drain a backlog:
    /// results may only wait, never fail (no error in any log or job log), and every instance's
    /// /readyz keeps answering 200 and says what results wait on.
    /// </summary>
    public static async Task<ScenarioResult> PoolPressureAsync(ChaosSettings settings)
    {
        var perJob = settings.Quick ? 60 : 250; // a backlog the instances need several /readyz polls for
        await using var world = await ChaosWorld.CreateAsync(settings, "scale-out-pool-pressure", perJob, Jobs);
        // A pgbouncer of its own with a pool of two: the shared one's 20 server connections are more
        // than three instances on two cores ever hold at once (3/20 were seen in use).
        const int poolSize = 2;
        const int connectionsEach = 2; // together three times the pool
        await using var bouncer = await PrivatePgbouncer.StartAsync(settings, Path.Combine(world.Directory, "pgbouncer"), world.Manifest.PgbouncerUrl, poolSize);
        var ports = Enumerable.Range(0, Instances).Select(_ => AntennaIngest.Testing.LoopbackPorts.Free()).ToArray();
        var running = Enumerable.Range(0, Instances).Select(i => world.StartBinary(
            new()
            {
                ["DATABASE_URL"] = bouncer.Url,
                ["INGEST_DB_CONNECTIONS"] = connectionsEach.ToString(CultureInfo.InvariantCulture),
                ["INGEST_HTTP_PORT"] = ports[i].ToString(CultureInfo.InvariantCulture),
            },
            Instance(i))).ToArray();

        var enqueue = world.EnqueueAsync(); // the whole backlog at once: the most pressure
        var probes = new ReadinessProbes(ports);
        var watching = probes.WatchAsync(() => world.AllAcked, s_drain);
        await enqueue;
        var drained = await ChaosWorld.WaitAsync(() => world.AllAcked, s_drain);
        await watching;
        var exits = await StopAllAsync(world, running);
        var tally = await world.TallyAsync();
        var jobLogErrors = await Scenarios.JobLogErrorsAsync(world);
        var errorLines = Enumerable.Range(0, Instances).Sum(i => ErrorLines(Path.Combine(world.Directory, $"ingest-{Instance(i)}.log")));
        var ok = drained && exits.All(e => e == 0) && jobLogErrors == 0 && errorLines == 0 && probes.NotReady == 0 && probes.Explained > 0;
        return Scenarios.Result(
            world.Name,
            1,
            tally,
            null,
            ok,
            string.Create(CultureInfo.InvariantCulture, $"{Instances} instances × INGEST_DB_CONNECTIONS={connectionsEach} on pgbouncer's pool of {poolSize}; {errorLines} error lines in the logs, {jobLogErrors} in job logs; /readyz: {probes.Answers} answers, {probes.NotReady} not ready, {probes.Explained} saying results wait ({probes.BlamedServer} of them on pgbouncer or PostgreSQL), e.g. \"{(probes.Example.Length > 0 ? probes.Example : probes.LastPostgresLine)}\"; exit codes {string.Join('/', exits)}"));
    }

    // Error and critical lines of the simple console format ("fail:", "crit:") and of the JSON one,
    // less the job log's echo of the error results the workload seeds ("Pipeline returned error").
    private static int ErrorLines(string path) =>
        File.Exists(path)
            ? File.ReadLines(path).Count(l => (l.Contains("fail:", StringComparison.Ordinal) || l.Contains("crit:", StringComparison.Ordinal) || l.Contains("\"LogLevel\":\"Error\"", StringComparison.Ordinal) || l.Contains("\"LogLevel\":\"Critical\"", StringComparison.Ordinal))
                && !l.Contains("Pipeline returned error", StringComparison.Ordinal))
            : 0;

    private static string Instance(int index) => $"instance-{index}";

    private static async Task<int[]> StopAllAsync(ChaosWorld world, Process[] running) =>
        await Task.WhenAll(running.Select(p => world.TerminateAsync(p, TimeSpan.FromSeconds(ShutdownTimeoutSeconds + 10))));

    // Every detection with a box has one path, and the file behind it is a whole JPEG. A kill
    // between writing an image's crops and saving their paths leaves files no detection names,
    // and those detections are cropped again (at-least-once): per kill at most the crops of the
    // images in hand (ImagesCroppedAtOnce × the most boxes any image has). More than
    // that means live instances cropped the same detections twice.
    internal static async Task<(bool Ok, string Note)> CropFilesAsync(ChaosWorld world, NpgsqlDataSource database, int kills)
    {
        await using var most = database.CreateCommand("SELECT coalesce(max(n), 0)::int FROM (SELECT count(*) AS n FROM main_detection WHERE bbox IS NOT NULL GROUP BY source_image_id) AS per_image");
        var unnamedAllowed = kills * ImagesCroppedAtOnce * (int)(await most.ExecuteScalarAsync())!;
        var media = Path.Combine(world.Directory, "media");
        var paths = new List<string>();
        var withoutPath = 0;
        await using (var command = database.CreateCommand("SELECT path FROM main_detection WHERE bbox IS NOT NULL"))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                if (reader.IsDBNull(0))
                {
                    withoutPath++;
                }
                else
                {
                    paths.Add(reader.GetString(0));
                }
            }
        }

        var named = paths.Select(p => Path.Combine(media, p)).ToHashSet(StringComparer.Ordinal);
        var files = Directory.Exists(media) ? Directory.GetFiles(media, "*", SearchOption.AllDirectories) : [];
        var broken = named.Count(p => !File.Exists(p) || !IsWholeJpeg(p));
        var unnamed = files.Count(f => !named.Contains(f));
        var ok = withoutPath == 0 && broken == 0 && named.Count == paths.Count && unnamed <= unnamedAllowed;
        return (ok, $"{paths.Count}/{paths.Count + withoutPath} detections cropped, {broken} crops missing or cut short, {named.Count} distinct paths, {unnamed} files no detection names (at most {unnamedAllowed} from kills)");
    }

    private static bool IsWholeJpeg(string path)
    {
        var bytes = File.ReadAllBytes(path);
        return bytes.Length > 4 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[^2] == 0xFF && bytes[^1] == 0xD9;
    }
}
