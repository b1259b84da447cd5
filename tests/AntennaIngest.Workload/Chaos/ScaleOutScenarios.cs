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

    private static string Instance(int index) => $"instance-{index}";

    private static async Task<int[]> StopAllAsync(ChaosWorld world, Process[] running) =>
        await Task.WhenAll(running.Select(p => world.TerminateAsync(p, TimeSpan.FromSeconds(ShutdownTimeoutSeconds + 10))));

    // Every detection with a box has one path, and the file behind it is a whole JPEG. A kill
    // between writing an image's crops and saving their paths leaves files no detection names,
    // and those detections are cropped again (at-least-once): per kill at most the crops of the
    // images in hand (ImagesCroppedAtOnce × the most boxes any image has). More than
    // that means live instances cropped the same detections twice.
    private static async Task<(bool Ok, string Note)> CropFilesAsync(ChaosWorld world, NpgsqlDataSource database, int kills)
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
