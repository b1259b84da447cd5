using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using AntennaIngest.Testing;
using AntennaIngest.Workload.Enqueue;
using AntennaIngest.Workload.Measure;
using AntennaIngest.Workload.Setup;
using AntennaIngest.Workload.Verify;
using Npgsql;
using RabbitMQ.Client;

namespace AntennaIngest.Workload.Chaos;

/// <summary>
/// One fault scenario's world: its own database and jobs (set up as Antenna would), its own
/// Celery queue with the backlog, an observer of every task ack, and the antenna-ingest binary
/// started, killed and restarted as the scenario says. <see cref="TallyAsync"/> checks the outcome.
/// </summary>
public sealed partial class ChaosWorld : IAsyncDisposable
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly long _clockStart = EnqueueCommand.UnixNanoseconds();
    private readonly List<Process> _processes = [];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _enqueuedAt = new(StringComparer.Ordinal);
    private AckObserver? _acks;
    private NATS.Client.Core.NatsConnection? _nats;
    private JobBuilder? _jobs;
    private int _starts;

    private ChaosWorld(ChaosSettings settings, string name, Manifest manifest, string directory)
    {
        Settings = settings;
        Name = name;
        Manifest = manifest;
        Directory = directory;
        var queue = $"chaos_{name.Replace('-', '_')}_{Guid.NewGuid():N}";
        Queue = queue.Length > 60 ? queue[..60] : queue;
    }

    public ChaosSettings Settings { get; }

    public string Name { get; }

    public Manifest Manifest { get; private set; }

    public string Directory { get; }

    public string Queue { get; }

    public Expectations Expectations { get; set; } = null!;

    public int Acked => _acks?.Acked ?? 0;

    public int Restarts => Math.Max(0, _starts - 1);

    public Process? Current { get; private set; }

    /// <summary>When the last SIGTERM was sent.</summary>
    public DateTime SignalledAt { get; private set; }

    public string LogPath => Path.Combine(Directory, "ingest.log");

    /// <param name="addJobsLater">Keeps the setup open for <see cref="AddJobsAsync"/> (jobs of <paramref name="images"/> images each).</param>
    public static async Task<ChaosWorld> CreateAsync(ChaosSettings settings, string name, int images, int jobs = 1, bool addJobsLater = false)
    {
        var directory = Path.Combine(settings.Out, name);
        System.IO.Directory.CreateDirectory(directory);
        var builder = await SetupCommand.StartAsync(
            new SetupSettings(directory, jobs, images, settings.Seed, 1, 1, null, settings.SpeciesLabels, settings.ImageBaseUrl, settings.ImagesDir, 7200, 0),
            TextWriter.Null,
            CancellationToken.None);
        var manifest = builder.Manifest;
        if (!addJobsLater)
        {
            await builder.DisposeAsync();
            builder = null;
        }

        var world = new ChaosWorld(settings, name, manifest, directory) { _jobs = builder };
        world._nats = ServiceClients.Nats(manifest.NatsUrl, "antenna-chaos-acks");
        world._acks = new AckObserver(world._nats, world.Now);
        await world._acks.StartAsync(manifest.Jobs.Select(j => $"job_{j.Id}"), CancellationToken.None);
        return world;
    }

    public long Now() => _clockStart + (_clock.ElapsedTicks * (1_000_000_000L / Stopwatch.Frequency));

    /// <summary>
    /// Publishes the whole backlog as Celery messages (before or while the binary runs), or only
    /// the results of the jobs <paramref name="only"/> names: then the expectations are returned,
    /// the caller's to gather. A shared <paramref name="pacer"/> paces calls on one schedule.
    /// Publishes are confirmed unless <paramref name="confirm"/> is false: a confirm waits for the
    /// broker's disk (about 15 ms for these messages), which caps one publisher near 60/s.
    /// </summary>
    public async Task<Expectations> EnqueueAsync(double rate = 0, int limit = 0, IReadOnlyList<JobPlan>? only = null, Pacer? pacer = null, bool confirm = true)
    {
        var settings = new EnqueueSettings("celery", ServiceEndpoints.BrokerUrl, Queue, Manifest.NatsUrl, "unused", "unused", rate, limit, Confirm: confirm);
        await using var enqueuer = new Enqueuer(new ResultSource(only is null ? Manifest : Manifest with { Jobs = only }, Settings.Seed), settings);
        await enqueuer.ConnectAsync(CancellationToken.None);
        var expectations = await enqueuer.RunAsync(Now, (reply, ns, _) => _enqueuedAt[reply] = ns, CancellationToken.None, pacer);
        if (only is null)
        {
            Expectations = expectations;
        }

        return expectations;
    }

    /// <summary>
    /// Seconds from each result's enqueue to its first observed ack (acked results only), for
    /// acks observed from <paramref name="fromNs"/> until before <paramref name="untilNs"/> (<see cref="Now"/>'s clock).
    /// </summary>
    public IReadOnlyList<double> SecondsEnqueueToAck(long fromNs = long.MinValue, long untilNs = long.MaxValue)
    {
        var (firstAck, _) = _acks!.Snapshot();
        return firstAck.Where(a => a.Value >= fromNs && a.Value < untilNs && _enqueuedAt.ContainsKey(a.Key)).Select(a => (a.Value - _enqueuedAt[a.Key]) / 1e9).ToList();
    }

    /// <summary>
    /// Starts antenna-ingest on this world's database and queue; <paramref name="extra"/> adds
    /// settings. Instances running side by side each log to ingest-{instance}.log.
    /// </summary>
    public Process StartBinary(Dictionary<string, string>? extra = null, string? instance = null)
    {
        var start = new ProcessStartInfo(Settings.Binary, ["run"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["DATABASE_URL"] = Manifest.PgbouncerUrl;
        start.Environment["INGEST_CELERY_QUEUE"] = Queue;
        start.Environment["INGEST_CELERY_FALLBACK_QUEUE"] = Queue + "_unhandled";
        start.Environment["INGEST_CELERY_REJECTED_QUEUE"] = Queue + "_rejected";
        start.Environment["INGEST_HTTP_PORT"] = "0";
        start.Environment["INGEST_CROPS"] = "false";
        start.Environment["MEDIA_ROOT"] = Path.Combine(Directory, "media");
        start.Environment["NATS_TASK_TTR"] = "7200";
        start.Environment["INGEST_SHUTDOWN_TIMEOUT"] = "20";
        foreach (var (key, value) in extra ?? [])
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start)!;
        var log = new StreamWriter(instance is null ? LogPath : Path.Combine(Directory, $"ingest-{instance}.log"), append: true) { AutoFlush = true };
        log.WriteLine($"---- start #{++_starts} {string.Join(' ', (extra ?? []).Select(e => e.Key + "=" + UrlPassword().Replace(e.Value, ":***@")))}");
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.Exited += (_, _) => log.Dispose();
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes.Add(process);
        Current = process;
        return process;
    }

    // user:password@ in a URL: the log of a run must not carry what the binary itself never logs.
    [System.Text.RegularExpressions.GeneratedRegex(":[^:/@]+@")]
    private static partial System.Text.RegularExpressions.Regex UrlPassword();

    // False while a paced enqueue is still running (the expectations exist only once it ends).
    public bool AllAcked => Expectations is not null && Acked >= Expectations.Results.Count;

    /// <summary>Waits until <paramref name="condition"/> holds; false on timeout.</summary>
    public static Task<bool> WaitAsync(Func<bool> condition, TimeSpan timeout) =>
        WaitAsync(() => Task.FromResult(condition()), timeout);

    /// <summary>Polls <paramref name="condition"/> every 100 ms until it holds (true) or the timeout passes (false).</summary>
    public static async Task<bool> WaitAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            if (deadline.Elapsed > timeout)
            {
                return false;
            }

            await Task.Delay(100);
        }

        return true;
    }

    /// <summary>Seconds from now until the next ack arrives (the recovery time after a fault), or null.</summary>
    public async Task<double?> TimeToNextAckAsync(TimeSpan timeout, Func<bool>? giveUp = null)
    {
        var before = Acked;
        var clock = Stopwatch.StartNew();
        if (AllAcked)
        {
            return 0;
        }

        await WaitAsync(() => Acked > before || AllAcked || giveUp?.Invoke() == true, timeout);
        return Acked > before || AllAcked ? clock.Elapsed.TotalSeconds : null;
    }

    /// <summary>
    /// Seconds from now until JetStream counts one more task acked than it does now, or null.
    /// Around a NATS restart the harness's own ack observer reconnects late and misses acks;
    /// the job consumers' own counts (delivered minus ack-pending) do not.
    /// </summary>
    public async Task<double?> TimeToNextConsumerAckAsync(TimeSpan timeout)
    {
        await using var nats = ServiceClients.Nats(Manifest.NatsUrl, "antenna-chaos-consumer-acks");
        var clock = Stopwatch.StartNew();
        long? before = null;
        while (clock.Elapsed < timeout)
        {
            try
            {
                long acked = 0;
                foreach (var job in Manifest.Jobs)
                {
                    var info = await new AntennaJobTasks(nats, job.Id).ConsumerInfoAsync();
                    acked += info is null ? 0 : (long)info.Delivered.ConsumerSeq - info.NumAckPending;
                }

                before ??= acked;
                if (acked > before)
                {
                    return clock.Elapsed.TotalSeconds;
                }
            }
            catch (Exception e) when (e is NATS.Client.Core.NatsException or TimeoutException)
            {
                // NATS is still coming up: keep asking.
            }

            await Task.Delay(50);
        }

        return null;
    }

    /// <summary>SIGTERM, then wait for exit; returns the exit code.</summary>
    public Task<int> TerminateAsync(TimeSpan timeout, bool waitForStartup = true) =>
        TerminateAsync(Current ?? throw new InvalidOperationException("not running"), timeout, waitForStartup);

    /// <summary>SIGTERM to one of several instances, then wait for its exit; returns the exit code.</summary>
    public async Task<int> TerminateAsync(Process process, TimeSpan timeout, bool waitForStartup = true)
    {

        // A signal during start-up, before the host handles SIGTERM, would kill it outright.
        var started = DateTime.Now - process.StartTime;
        if (waitForStartup && !process.HasExited && started < TimeSpan.FromSeconds(2))
        {
            await Task.Delay(TimeSpan.FromSeconds(2) - started);
        }

        SignalledAt = DateTime.UtcNow;
        if (!process.HasExited)
        {
            _ = Kill(process.Id, 15);
        }

        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            return -1;
        }

        return process.ExitCode;
    }

    public static void SigKill(Process process) => _ = Kill(process.Id, 9);

    public async Task<string> LogTextAsync()
    {
        await Task.Delay(200);
        using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return await new StreamReader(stream).ReadToEndAsync();
    }

    public NpgsqlDataSource DirectDatabase() => NpgsqlDataSource.Create(ServiceEndpoints.ToConnectionString(Manifest.DirectUrl));

    /// <summary>
    /// Compares everything with the expectations: lost = results whose task was never acked or
    /// whose rows are missing; duplicated = duplicate rows; stuck = messages left in the queue,
    /// unacked tasks, image ids left pending in Redis.
    /// </summary>
    public async Task<Tally> TallyAsync(Expectations? expectations = null, bool consumersOnly = false)
    {
        expectations ??= Expectations;
        var (firstAck, _) = _acks!.Snapshot();
        var observed = firstAck.Keys.ToHashSet(StringComparer.Ordinal);
        var report = await new Verifier(Manifest, expectations, consumersOnly ? null : observed).RunAsync(CancellationToken.None);
        await using (var writer = new StreamWriter(Path.Combine(Directory, "verify.txt")))
        {
            report.Print(writer);
        }

        var unacked = consumersOnly
            ? report.Checks.First(c => c.Name == "tasks acked").Ok ? 0 : expectations.Results.Count
            : expectations.Results.Count(r => !observed.Contains(r.ReplySubject));
        var missingRows = report.Checks.Where(c => !c.Ok && c.Name is "detections per image" or "classifications per image").Sum(c => c.Examples.Count(e => e.Contains("expected", StringComparison.Ordinal) && LessThanExpected(e)));
        await using var database = DirectDatabase();
        await using var duplicates = database.CreateCommand(
            """
            SELECT (SELECT count(*) FROM (SELECT 1 FROM main_detection WHERE bbox IS NOT NULL GROUP BY source_image_id, bbox HAVING count(*) > 1) a)
                 + (SELECT count(*) FROM (SELECT 1 FROM main_detection WHERE bbox IS NULL GROUP BY source_image_id, detection_algorithm_id HAVING count(*) > 1) b)
                 + (SELECT count(*) FROM (SELECT 1 FROM main_classification GROUP BY detection_id, taxon_id, algorithm_id, score HAVING count(*) > 1) c)
            """);
        var duplicated = (long)(await duplicates.ExecuteScalarAsync())!;
        var stuck = await QueueDepthAsync() + await PendingInRedisAsync(expectations);
        return new Tally(expectations.Results.Count, unacked + missingRows, duplicated, stuck, report);
    }

    /// <summary>
    /// Every job consumer has delivered everything and has exactly the tasks without a result
    /// unacked: JetStream's own word that every result's task was acked.
    /// </summary>
    public async Task<bool> ConsumersSettledAsync()
    {
        await using var nats = ServiceClients.Nats(Manifest.NatsUrl, "antenna-chaos-consumers");
        foreach (var job in Manifest.Jobs)
        {
            var info = await new AntennaJobTasks(nats, job.Id).ConsumerInfoAsync();
            var results = Expectations.Results.Count(r => r.Job == job.Id);
            if (info is null || info.NumPending != 0 || info.NumAckPending != job.Images.Count - results)
            {
                return false;
            }
        }

        return true;
    }

    public async Task<long> QueueDepthAsync()
    {
        var factory = new ConnectionFactory { Uri = new Uri(ServiceEndpoints.BrokerUrl) };
        await using var connection = await factory.CreateConnectionAsync("antenna-chaos");
        await using var channel = await connection.CreateChannelAsync();
        return (await channel.QueueDeclarePassiveAsync(Queue)).MessageCount;
    }

    public async Task CleanupAsync()
    {
        foreach (var process in _processes.Where(p => !p.HasExited))
        {
            process.Kill();
        }

        var factory = new ConnectionFactory { Uri = new Uri(ServiceEndpoints.BrokerUrl) };
        await using (var connection = await factory.CreateConnectionAsync("antenna-chaos-cleanup"))
        {
            foreach (var queue in new[] { Queue, Queue + "_unhandled", Queue + "_rejected" })
            {
                await using var channel = await connection.CreateChannelAsync();
                await channel.QueueDeleteAsync(queue, ifUnused: false, ifEmpty: false);
                await using var exchange = await connection.CreateChannelAsync();
                await exchange.ExchangeDeleteAsync(queue, ifUnused: false);
            }
        }

        if (!Settings.Keep)
        {
            var (redis, db) = await ServiceClients.RedisAsync(Manifest.RedisUrl);
            await using (redis)
            {
                foreach (var job in Manifest.Jobs)
                {
                    await db.KeyDeleteAsync([$"job:{job.Id}:pending_images:process", $"job:{job.Id}:pending_images:results", $"job:{job.Id}:failed_images", $"job:{job.Id}:pending_images_total", $"job:{job.Id}:results_counts"]);
                    await new AntennaJobTasks(_nats!, job.Id).DeleteAsync();
                }
            }

            await using var admin = NpgsqlDataSource.Create(ServiceEndpoints.ToConnectionString(ServiceEndpoints.WithDatabase(Manifest.DirectUrl, "postgres")));
            await using var drop = admin.CreateCommand($"DROP DATABASE IF EXISTS \"{Manifest.Database}\" WITH (FORCE)");
            await drop.ExecuteNonQueryAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await CleanupAsync();
        if (_jobs is not null)
        {
            await _jobs.DisposeAsync();
        }

        if (_acks is not null)
        {
            await _acks.DisposeAsync();
        }

        if (_nats is not null)
        {
            await _nats.DisposeAsync();
        }

        foreach (var process in _processes)
        {
            process.Dispose();
        }
    }

    private static bool LessThanExpected(string example)
    {
        // "image 12: 3 detections, expected 5"
        var parts = example.Split(' ');
        return parts.Length >= 6
            && int.TryParse(parts[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out var have)
            && int.TryParse(parts[^1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var want)
            && have < want;
    }

    // Images pending in Redis beyond those that were given no result on purpose (two stages each).
    private async Task<long> PendingInRedisAsync(Expectations expectations)
    {
        var (redis, db) = await ServiceClients.RedisAsync(Manifest.RedisUrl);
        await using (redis)
        {
            long pending = 0;
            foreach (var job in Manifest.Jobs)
            {
                var withoutResult = job.Images.Count - expectations.Results.Count(r => r.Job == job.Id);
                pending += Math.Max(0, await db.SetLengthAsync($"job:{job.Id}:pending_images:process") + await db.SetLengthAsync($"job:{job.Id}:pending_images:results") - (2 * withoutResult));
            }

            return pending;
        }
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            try
            {
                log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    internal static partial int Kill(int pid, int signal);
}

/// <summary>What a scenario left behind.</summary>
public sealed record Tally(int Results, long Lost, long Duplicated, long Stuck, VerifyReport Report);
