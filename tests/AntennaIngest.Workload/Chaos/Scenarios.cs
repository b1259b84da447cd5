using System.Diagnostics;
using System.Globalization;
using System.Text;
using AntennaIngest.Testing;
using AntennaIngest.Workload.Enqueue;
using AntennaIngest.Workload.Generation;
using AntennaIngest.Workload.Setup;
using Npgsql;
using RabbitMQ.Client;

namespace AntennaIngest.Workload.Chaos;

/// <summary>
/// The fault scenarios. Each builds its own world, injects its fault for real (SIGKILL of the
/// binary at a code point, a restart of a server, a held pool or lock, a flushed Redis, poison
/// messages, SIGTERM) and reports lost, duplicated and stuck results.
/// </summary>
public static class Scenarios
{
    private static readonly TimeSpan s_drain = TimeSpan.FromSeconds(180);

    public static readonly string[] KillPoints = ["after_decode", "in_transaction", "after_commit", "after_redis", "during_crops"];

    /// <summary>kill -9 at a code point, <paramref name="kills"/> times, restarting after each; then a clean run finishes.</summary>
    public static async Task<ScenarioResult> KillAtAsync(ChaosSettings settings, string point, int kills)
    {
        // The full run kills 20 times per point: enough results that a backlog outlasts the kills.
        await using var world = await ChaosWorld.CreateAsync(settings, $"kill9-{point}", settings.Quick ? settings.Images : Math.Max(settings.Images, 100));
        await world.EnqueueAsync();
        var crops = point == "during_crops";
        var random = new Random(settings.Seed);
        var killed = 0;
        double? maxRecovery = null;
        var notes = new List<string>();
        // Groups of at most 2 results make many transactions, so every point is reached often.
        var group = new Dictionary<string, string> { ["INGEST_DB_GROUP_MAX"] = "2", ["INGEST_CROPS"] = crops ? "true" : "false" };
        await using var database = world.DirectDatabase();
        while (killed < kills && (!world.AllAcked || (crops && await CropsPendingAsync(database) > 0)))
        {
            var process = world.StartBinary(new(group) { ["INGEST_CHAOS_KILL_AT"] = $"{point}:{random.Next(1, 4)}" });
            if (killed > 0)
            {
                // A run killed before its first ack (always so for after_decode) has no recovery
                // time to report; the finisher's first ack measures recovery then.
                maxRecovery = Max(maxRecovery, await world.TimeToNextAckAsync(TimeSpan.FromSeconds(60), () => process.HasExited));
            }

            var exited = await ChaosWorld.WaitAsync(async () => process.HasExited || (world.AllAcked && (!crops || await CropsPendingAsync(database) == 0)), TimeSpan.FromSeconds(60));
            await ChaosWorld.WaitAsync(() => process.HasExited, TimeSpan.FromSeconds(crops ? 10 : 2));
            if (process.HasExited && process.ExitCode == 137)
            {
                killed++;
                continue;
            }

            if (!process.HasExited)
            {
                await world.TerminateAsync(TimeSpan.FromSeconds(40));
            }

            notes.Add(exited ? $"point not reached after {killed} kills" : "timed out");
            break;
        }

        var finisher = world.StartBinary(group);
        maxRecovery = Max(maxRecovery, await world.TimeToNextAckAsync(TimeSpan.FromSeconds(60)));
        var drained = await ChaosWorld.WaitAsync(() => world.AllAcked, s_drain);
        if (crops)
        {
            await ChaosWorld.WaitAsync(async () => await CropsPendingAsync(database) == 0, TimeSpan.FromSeconds(60));
        }

        var exit = await world.TerminateAsync(TimeSpan.FromSeconds(40));
        var tally = await world.TallyAsync();
        if (crops)
        {
            notes.Add(await CropNoteAsync(world));
        }

        return Result(world.Name, killed, tally, maxRecovery, drained && exit == 0, $"{killed} kills, {world.Restarts} restarts; {string.Join("; ", notes)}");
    }

    /// <summary>Restart of a server in the middle of a run (paced results arrive throughout).</summary>
    public static async Task<ScenarioResult> RestartAsync(ChaosSettings settings, string service)
    {
        await using var world = await ChaosWorld.CreateAsync(settings, $"restart-{service}", settings.Images);
        world.StartBinary();

        // The harness's own ack observer is a NATS client too and misses acks while NATS restarts.
        // There, one image gets no result, so the job (and its consumer) stays open and the
        // consumer's ack counts are the proof instead.
        var natsRestart = service == "nats";
        // For NATS, results keep arriving for a while after it is back, so there is an ack to time.
        var enqueue = world.EnqueueAsync(rate: settings.Images / (natsRestart ? 16.0 : 8.0), limit: natsRestart ? settings.Images - 1 : 0);
        await ChaosWorld.WaitAsync(() => world.Acked >= settings.Images / 3, TimeSpan.FromSeconds(60));
        var restart = Stopwatch.StartNew();
        await RunAsync(settings.ServicesScript, "restart", service);
        var downFor = restart.Elapsed.TotalSeconds;
        var recovery = natsRestart ? await world.TimeToNextConsumerAckAsync(TimeSpan.FromSeconds(120)) : await world.TimeToNextAckAsync(TimeSpan.FromSeconds(120));
        await enqueue;
        var drained = natsRestart
            ? await ChaosWorld.WaitAsync(world.ConsumersSettledAsync, s_drain)
            : await ChaosWorld.WaitAsync(() => world.AllAcked, s_drain);
        var exit = await world.TerminateAsync(TimeSpan.FromSeconds(40));
        var tally = await world.TallyAsync(consumersOnly: natsRestart);
        return Result(world.Name, 1, tally, recovery, drained && exit == 0 && recovery is not null, string.Create(CultureInfo.InvariantCulture, $"{service} restarted in {downFor:F1} s; first ack {recovery:F1} s after it was back"));
    }

    /// <summary>Every pgbouncer server connection held by other clients for a while: back-pressure, no errors.</summary>
    public static async Task<ScenarioResult> PoolExhaustedAsync(ChaosSettings settings)
    {
        await using var world = await ChaosWorld.CreateAsync(settings, "pool-exhausted", settings.Images);
        var poolSize = int.TryParse(Environment.GetEnvironmentVariable("INGEST_PGBOUNCER_POOL_SIZE"), CultureInfo.InvariantCulture, out var size) ? size : 20;
        var hold = TimeSpan.FromSeconds(8);
        await using var hog = NpgsqlDataSource.Create(ServiceEndpoints.ToConnectionString(world.Manifest.PgbouncerUrl) + ";Maximum Pool Size=" + (poolSize + 5));
        var held = Enumerable.Range(0, poolSize).Select(_ => SleepAsync(hog, hold)).ToList();
        await Task.Delay(500);
        var process = world.StartBinary();
        await world.EnqueueAsync();
        var peakRss = await SampleRssAsync(process, hold);
        await Task.WhenAll(held);
        var recovery = await world.TimeToNextAckAsync(TimeSpan.FromSeconds(60));
        var drained = await ChaosWorld.WaitAsync(() => world.AllAcked, s_drain);
        var exit = await world.TerminateAsync(TimeSpan.FromSeconds(40));
        var errors = await JobLogErrorsAsync(world);
        var tally = await world.TallyAsync();
        return Result(world.Name, 1, tally, recovery, drained && exit == 0 && errors == 0, string.Create(CultureInfo.InvariantCulture, $"{poolSize} server connections held {hold.TotalSeconds:F0} s; {errors} error lines in job logs; peak RSS {peakRss} MB while blocked"));
    }

    /// <summary>A long lock on the hottest row (the job) while results arrive.</summary>
    public static async Task<ScenarioResult> HotRowLockAsync(ChaosSettings settings)
    {
        await using var world = await ChaosWorld.CreateAsync(settings, "hot-row-lock", settings.Images);
        var job = world.Manifest.Jobs[0].Id;
        await using var database = world.DirectDatabase();
        await using var connection = await database.OpenConnectionAsync();
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await using (var lockRow = new NpgsqlCommand("SELECT 1 FROM jobs_job WHERE id = $1 FOR UPDATE", connection, transaction) { Parameters = { new() { Value = job } } })
            {
                await lockRow.ExecuteNonQueryAsync();
            }

            world.StartBinary();
            await world.EnqueueAsync();
            await Task.Delay(TimeSpan.FromSeconds(8));
            await transaction.CommitAsync();
        }

        var drained = await ChaosWorld.WaitAsync(() => world.AllAcked, s_drain);
        var exit = await world.TerminateAsync(TimeSpan.FromSeconds(40));
        var errors = await JobLogErrorsAsync(world);
        var tally = await world.TallyAsync();
        return Result(world.Name, 1, tally, null, drained && exit == 0 && errors == 0, $"jobs_job row locked 8 s; {errors} error lines in job logs");
    }

    /// <summary>Redis loses the job state mid-job: the job fails cleanly with the reason, nothing crashes, every message settles.</summary>
    public static async Task<ScenarioResult> FlushDbAsync(ChaosSettings settings)
    {
        await using var world = await ChaosWorld.CreateAsync(settings, "redis-flushdb", settings.Images);
        var process = world.StartBinary();
        var enqueue = world.EnqueueAsync(rate: settings.Images / 6.0);
        await ChaosWorld.WaitAsync(() => world.Acked >= settings.Images / 3, TimeSpan.FromSeconds(60));
        var redisUri = new Uri(world.Manifest.RedisUrl);
        var redisDb = int.Parse(redisUri.AbsolutePath.Trim('/') is { Length: > 0 } path ? path : "0", CultureInfo.InvariantCulture);
        await using (var admin = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync($"{redisUri.Host}:{redisUri.Port},allowAdmin=true"))
        {
            await admin.GetServers()[0].FlushDatabaseAsync(redisDb);
        }

        await enqueue;
        var drained = await ChaosWorld.WaitAsync(() => world.AllAcked, s_drain);
        var alive = !process.HasExited;
        var exit = await world.TerminateAsync(TimeSpan.FromSeconds(40));
        await using var database = world.DirectDatabase();
        await using var status = database.CreateCommand("SELECT status FROM jobs_job");
        var jobStatus = (string)(await status.ExecuteScalarAsync())!;
        await using var reason = database.CreateCommand("SELECT count(*) FROM jobs_joblog WHERE level = 'ERROR' AND message LIKE '%Job state keys not found in Redis%'");
        var reasonLogged = (long)(await reason.ExecuteScalarAsync())! > 0;
        var queued = await world.QueueDepthAsync();
        var unacked = world.Expectations.Results.Count - world.Acked;
        var ok = drained && alive && exit == 0 && jobStatus == "FAILURE" && reasonLogged && queued == 0;
        return new ScenarioResult(world.Name, 1, world.Expectations.Results.Count, unacked, 0, queued, null, ok,
            $"job {jobStatus}, reason in job log: {reasonLogged}; results after the flush acked and dropped as Antenna does; process alive: {alive}");
    }

    /// <summary>Poison mixed into the backlog: every bad message rejected or recorded with its reason, every other result processed.</summary>
    public static async Task<ScenarioResult> PoisonAsync(ChaosSettings settings)
    {
        await using var world = await ChaosWorld.CreateAsync(settings, "poison", settings.Images);
        var job = world.Manifest.Jobs[0];
        var source = new ResultSource(world.Manifest, settings.Seed);
        var images = job.Images;
        var expectations = new List<ExpectedResult>();
        var factory = new ConnectionFactory { Uri = new Uri(ServiceEndpoints.BrokerUrl) };
        await using (var connection = await factory.CreateConnectionAsync("antenna-chaos-poison"))
        await using (var channel = await connection.CreateChannelAsync())
        {
            await channel.QueueDeclareAsync(world.Queue, durable: true, exclusive: false, autoDelete: false, arguments: null);
            async Task PublishAsync(CeleryMessage message) => await message.PublishAsync(channel, world.Queue);

            // Images 0..2 get poison results; the rest their normal result.
            var unknownAlgorithm = Encoding.UTF8.GetString(source.Json(source.Spec(job, images[0]), images[0], ResultShape.Celery)).Replace("\"key\":\"", "\"key\":\"unknown-", StringComparison.Ordinal);
            await PublishAsync(CeleryMessage.ProcessResult(job.Id, unknownAlgorithm, images[0].ReplySubject));
            expectations.Add(new ExpectedResult(job.Id, images[0].Id, images[0].ReplySubject, true, 0, 0, 0, 0));

            // A detection on an image that does not exist: logged, the rest of the result saved.
            var missing = string.Create(CultureInfo.InvariantCulture, $$"""{"pipeline": "{{world.Manifest.Pipeline.Slug}}", "algorithms": {}, "total_time": 1, "source_images": [{"id": "{{images[1].Id}}", "url": "u"}], "detections": [{"source_image_id": "999999999", "bbox": {"x1": 1, "y1": 1, "x2": 5, "y2": 5}, "algorithm": {"name": "{{world.Manifest.Pipeline.Detector.Name}}", "key": "{{world.Manifest.Pipeline.Detector.Key}}"}, "timestamp": "2026-07-22T22:00:00"}], "errors": null}""");
            await PublishAsync(CeleryMessage.ProcessResult(job.Id, missing, images[1].ReplySubject));
            expectations.Add(new ExpectedResult(job.Id, images[1].Id, images[1].ReplySubject, false, 0, 0, 0, 0));

            // A 50 MB result: 25 detections whose species scores are 100,000 values each.
            var huge = HugeResult(world, images[2]);
            await PublishAsync(CeleryMessage.ProcessResult(job.Id, huge, images[2].ReplySubject));
            expectations.Add(new ExpectedResult(job.Id, images[2].Id, images[2].ReplySubject, false, 25, 25, 0, huge.Length));

            foreach (var image in images.Skip(3))
            {
                var spec = source.Spec(job, image);
                var json = source.Json(spec, image, ResultShape.Celery);
                await PublishAsync(CeleryMessage.ProcessResult(job.Id, Encoding.UTF8.GetString(json), image.ReplySubject));
                expectations.Add(ResultSource.Expect(job, image, spec, json.Length));
            }

            // Messages that can never be processed.
            await PublishAsync(CeleryMessage.Create(CeleryMessage.ProcessResultTask, w => w.WriteString("job_id", "not-a-number")));
            await PublishAsync(CeleryMessage.ProcessResult(job.Id, "{}", "x") with { Body = "[[], {\"job_id\": 1, \"result_data\": {"u8.ToArray(), Compressed = false, Headers = WithoutCompression(CeleryMessage.ProcessResult(job.Id, "{}", "x").Headers) });
            await PublishAsync(CeleryMessage.ProcessResult(999_999_999_999, """{"error": "x", "image_id": "1"}""", "$JS.ACK.job_999999999999.job-999999999999-consumer.1.1.1.1.0"));
        }

        var expected = new Expectations(settings.Seed, "celery", expectations);
        world.Expectations = expected;
        var process = world.StartBinary();
        var drained = await ChaosWorld.WaitAsync(() => world.AllAcked, s_drain);
        await Task.Delay(1000);
        var exit = await world.TerminateAsync(TimeSpan.FromSeconds(40));

        var rejected = await RejectedReasonsAsync(world);
        var log = await world.LogTextAsync();
        var tally = await world.TallyAsync(expected);
        await using var database = world.DirectDatabase();

        // The results-stage counters count what results contained (Antenna's rule), so the
        // detection on the missing image counts although no row could be written for it.
        await using (var counters = database.CreateCommand(
            "SELECT (p->>'value')::bigint FROM jobs_job, jsonb_array_elements(progress->'stages') s, jsonb_array_elements(s->'params') p WHERE s->>'key' = 'results' AND p->>'key' = 'detections'"))
        {
            var counted = (long)(await counters.ExecuteScalarAsync())!;
            var rows = expected.Results.Where(r => !r.Error).Sum(r => r.Detections);
            if (counted == rows + 1)
            {
                tally = tally with { Report = tally.Report with { Checks = tally.Report.Checks.Where(c => c.Name != "results-stage counters").ToList() } };
            }
        }

        await using var lines = database.CreateCommand("SELECT string_agg(message, ' | ') FROM jobs_joblog WHERE level = 'ERROR'");
        var jobErrors = (await lines.ExecuteScalarAsync()) as string ?? string.Empty;
        var checks = new (bool Ok, string What)[]
        {
            (rejected.Count == 2, $"{rejected.Count} dead-lettered ({string.Join("; ", rejected.Select(r => r.Length > 60 ? r[..60] : r))})"),
            (jobErrors.Contains("can never be saved", StringComparison.Ordinal), "unknown algorithm recorded"),
            (jobErrors.Contains("Source image 999999999 not found", StringComparison.Ordinal), "missing image logged"),
            (log.Contains("is gone while the job is (no job row)", StringComparison.Ordinal), "unknown job acked and dropped"),
        };
        var ok = drained && exit == 0 && checks.All(c => c.Ok);
        return Result(world.Name, 1, tally, null, ok, string.Join(", ", checks.Select(c => (c.Ok ? "" : "NOT ") + c.What)));
    }

    /// <summary>SIGTERM under load: intake stops within 1 s, exit 0 within the shutdown timeout, nothing lost.</summary>
    public static async Task<ScenarioResult> SigtermAsync(ChaosSettings settings)
    {
        await using var world = await ChaosWorld.CreateAsync(settings, "sigterm", settings.Images * 4);
        await EnqueueLargeAsync(world, settings);
        var process = world.StartBinary(new() { ["INGEST_DB_CONNECTIONS"] = "3" });
        await ChaosWorld.WaitAsync(() => world.Acked > 0, TimeSpan.FromSeconds(60));
        var exit = await world.TerminateAsync(TimeSpan.FromSeconds(40), waitForStartup: false);
        var sent = world.SignalledAt;
        var exitedAfter = (DateTime.UtcNow - sent).TotalSeconds;
        var log = await world.LogTextAsync();
        var intakeStop = StoppedConsumingAt(log) is { } stopped ? (stopped - sent).TotalSeconds : (double?)null;
        var ackedAtStop = world.Acked;
        world.StartBinary();
        var drained = await ChaosWorld.WaitAsync(() => world.AllAcked, s_drain);
        var finalExit = await world.TerminateAsync(TimeSpan.FromSeconds(40));
        var tally = await world.TallyAsync();
        var ok = exit == 0 && finalExit == 0 && intakeStop is <= 1.0 && drained && exitedAfter <= 25;
        return Result(world.Name, 1, tally, null, ok, string.Create(CultureInfo.InvariantCulture,
            $"intake stopped {intakeStop:F2} s after SIGTERM, exit {exit} after {exitedAfter:F1} s with {ackedAtStop}/{world.Expectations.Results.Count} acked; a restart finished the rest"));
    }

    /// <summary>Results pending, none completing: the stall metric and an error line; both clear once work flows.</summary>
    public static async Task<ScenarioResult> StallAsync(ChaosSettings settings)
    {
        await using var world = await ChaosWorld.CreateAsync(settings, "stall", settings.Images);
        var port = LoopbackPorts.Free();
        await using var database = world.DirectDatabase();
        await using var connection = await database.OpenConnectionAsync();
        bool stalledMetric;
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await using (var lockTable = new NpgsqlCommand("LOCK TABLE main_detection IN ACCESS EXCLUSIVE MODE", connection, transaction))
            {
                await lockTable.ExecuteNonQueryAsync();
            }

            world.StartBinary(new() { ["INGEST_STALL_SECONDS"] = "3", ["INGEST_HTTP_PORT"] = port.ToString(CultureInfo.InvariantCulture) });
            await world.EnqueueAsync();
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            stalledMetric = await WaitMetricAsync(http, port, "\nantenna_ingest_stalled 1\n", TimeSpan.FromSeconds(15));
            await transaction.CommitAsync();
        }

        var drained = await ChaosWorld.WaitAsync(() => world.AllAcked, s_drain);
        await Task.Delay(1500);
        var exit = await world.TerminateAsync(TimeSpan.FromSeconds(40));
        var log = await world.LogTextAsync();
        var tally = await world.TallyAsync();
        var ok = stalledMetric && log.Contains("STALLED", StringComparison.Ordinal) && log.Contains("stall over", StringComparison.Ordinal) && drained && exit == 0;
        return Result(world.Name, 1, tally, null, ok, $"stall metric raised: {stalledMetric}; error line: {log.Contains("STALLED", StringComparison.Ordinal)}; cleared: {log.Contains("stall over", StringComparison.Ordinal)}");
    }

    /// <summary>Large results (1-2 MB) filling the in-flight budget: peak RSS, then rounds of the same work to see it stays flat.</summary>
    public static async Task<ScenarioResult> MemoryAsync(ChaosSettings settings, int results, int rounds)
    {
        // One process for the whole soak: a job per round, each round a backlog of large results
        // (1-2 MB) that fills the in-flight budget; RSS is sampled per round to show it does not grow.
        // The process is stopped (SIGSTOP) while a round is queued, so the whole round arrives at
        // once when it continues, as a backlog does after an outage.
        await using var world = await ChaosWorld.CreateAsync(settings, "memory", results, jobs: rounds);
        var process = world.StartBinary();
        var peaks = new List<long>();
        var settled = new List<long>();
        var expected = new List<ExpectedResult>();
        var drained = true;
        foreach (var job in world.Manifest.Jobs)
        {
            _ = ChaosWorld.Kill(process.Id, 19); // SIGSTOP
            var round = await EnqueueLargeAsync(world, settings, world.Manifest with { Jobs = [job] });
            expected.AddRange(round.Results);
            world.Expectations = new Expectations(settings.Seed, "celery", expected.ToList());
            _ = ChaosWorld.Kill(process.Id, 18); // SIGCONT
            peaks.Add(await SampleRssAsync(process, TimeSpan.FromMinutes(10), () => world.AllAcked));
            drained &= await ChaosWorld.WaitAsync(() => world.AllAcked, TimeSpan.FromMinutes(10));
            await Task.Delay(TimeSpan.FromSeconds(2));
            settled.Add(await SampleRssAsync(process, TimeSpan.FromMilliseconds(150)));
        }

        var exit = await world.TerminateAsync(TimeSpan.FromSeconds(40));
        var tally = await world.TallyAsync();
        return Result("memory", rounds, tally, null, drained && exit == 0,
            $"one process, {rounds} rounds of {results} results of 1-2 MB each, in-flight budget 1000; RSS per round, peak / 2 s after the round (MB): {string.Join(", ", peaks.Zip(settled, (p, a) => $"{p} / {a}"))}");
    }

    private static async Task<Expectations> EnqueueLargeAsync(ChaosWorld world, ChaosSettings settings, Manifest? only = null)
    {
        var source = new ResultSource(only ?? world.Manifest, settings.Seed, ResultTier.Large);
        var enqueueSettings = new EnqueueSettings("celery", ServiceEndpoints.BrokerUrl, world.Queue, world.Manifest.NatsUrl, "unused", "unused", 0, 0);
        await using var enqueuer = new Enqueuer(source, enqueueSettings);
        await enqueuer.ConnectAsync(CancellationToken.None);
        var expectations = await enqueuer.RunAsync(world.Now, null, CancellationToken.None);
        world.Expectations = expectations;
        return expectations;
    }

    private static string HugeResult(ChaosWorld world, Setup.ImagePlan image)
    {
        var builder = new StringBuilder(52 * 1024 * 1024);
        var pipeline = world.Manifest.Pipeline;
        builder.Append(CultureInfo.InvariantCulture, $$"""{"pipeline": "{{pipeline.Slug}}", "algorithms": {}, "total_time": 9.5, "source_images": [{"id": "{{image.Id}}", "url": "u"}], "detections": [""");
        for (var d = 0; d < 25; d++)
        {
            builder.Append(d == 0 ? string.Empty : ", ");
            builder.Append(CultureInfo.InvariantCulture, $$"""{"source_image_id": "{{image.Id}}", "bbox": {"x1": {{d * 10}}.0, "y1": 1.0, "x2": {{d * 10 + 8}}.0, "y2": 9.0}, "algorithm": {"name": "{{pipeline.Detector.Name}}", "key": "{{pipeline.Detector.Key}}"}, "timestamp": "2026-07-22T22:00:00", "classifications": [{"classification": "Lepidoptera {{d}}", "scores": [""");
            for (var s = 0; s < 100_000; s++)
            {
                builder.Append(s == 0 ? "0.9" : ", 0.000001");
            }

            builder.Append(CultureInfo.InvariantCulture, $$"""], "algorithm": {"name": "{{pipeline.Species.Name}}", "key": "{{pipeline.Species.Key}}"}, "terminal": true, "timestamp": "2026-07-22T22:00:01"}]}""");
        }

        builder.Append("], \"errors\": null}");
        return builder.ToString();
    }

    private static Dictionary<string, object?> WithoutCompression(IDictionary<string, object?> headers)
    {
        var copy = new Dictionary<string, object?>(headers);
        copy.Remove("compression");
        return copy;
    }

    private static async Task<List<string>> RejectedReasonsAsync(ChaosWorld world)
    {
        var reasons = new List<string>();
        var factory = new ConnectionFactory { Uri = new Uri(ServiceEndpoints.BrokerUrl) };
        await using var connection = await factory.CreateConnectionAsync("antenna-chaos-rejected");
        await using var channel = await connection.CreateChannelAsync();
        while (await channel.BasicGetAsync(world.Queue + "_rejected", autoAck: true) is { } message)
        {
            reasons.Add(message.BasicProperties.Headers is { } headers && headers.TryGetValue("x-rejected-reason", out var reason) && reason is byte[] bytes
                ? Encoding.UTF8.GetString(bytes)
                : "(no reason)");
        }

        return reasons;
    }

    private static DateTime? StoppedConsumingAt(string log)
    {
        foreach (var line in log.Split('\n'))
        {
            if (line.Contains("stopped consuming", StringComparison.Ordinal) && line.Length > 24
                && DateTime.TryParse(line[..24], CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var at))
            {
                return at;
            }
        }

        return null;
    }

    private static async Task<bool> WaitMetricAsync(HttpClient http, int port, string series, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            try
            {
                if ((await http.GetStringAsync($"http://127.0.0.1:{port}/metrics")).Contains(series, StringComparison.Ordinal))
                {
                    return true;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }

            await Task.Delay(250);
        }

        return false;
    }

    internal static async Task<long> CropsPendingAsync(NpgsqlDataSource database)
    {
        await using var command = database.CreateCommand("SELECT count(*) FROM main_detection WHERE bbox IS NOT NULL AND path IS NULL");
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<string> CropNoteAsync(ChaosWorld world)
    {
        await using var database = world.DirectDatabase();
        await using var command = database.CreateCommand("SELECT count(*) FILTER (WHERE path IS NOT NULL), count(*) FROM main_detection WHERE bbox IS NOT NULL");
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return $"{reader.GetInt64(0)}/{reader.GetInt64(1)} detections cropped";
    }

    internal static async Task<long> JobLogErrorsAsync(ChaosWorld world)
    {
        await using var database = world.DirectDatabase();
        await using var command = database.CreateCommand("SELECT count(*) FROM jobs_joblog WHERE level = 'ERROR' AND message NOT LIKE 'Pipeline returned error%'");
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task SleepAsync(NpgsqlDataSource dataSource, TimeSpan hold)
    {
        await using var command = dataSource.CreateCommand($"SELECT pg_sleep({hold.TotalSeconds.ToString(CultureInfo.InvariantCulture)})");
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Peak resident memory of the process (MB) while <paramref name="until"/> does not hold, at most <paramref name="limit"/>.</summary>
    private static async Task<long> SampleRssAsync(Process process, TimeSpan limit, Func<bool>? until = null)
    {
        long peak = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < limit && !process.HasExited && !(until?.Invoke() ?? false))
        {
            try
            {
                foreach (var line in await File.ReadAllLinesAsync($"/proc/{process.Id}/status"))
                {
                    if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    {
                        peak = Math.Max(peak, long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024);
                    }
                }
            }
            catch (IOException)
            {
                break;
            }

            await Task.Delay(100);
        }

        return peak;
    }

    private static Task RunAsync(string script, params string[] arguments) => RunScriptAsync(script, null, arguments);

    /// <summary>Runs a project script (services.sh) with extra environment; throws with its error output when it fails.</summary>
    internal static async Task RunScriptAsync(string script, IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        var start = new ProcessStartInfo(script, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{script} {string.Join(' ', arguments)} failed: {await errors}");
        }
    }

    private static double? Max(double? a, double? b) => a is null ? b : b is null ? a : Math.Max(a.Value, b.Value);

    internal static ScenarioResult Result(string name, int runs, Tally tally, double? recovery, bool ok, string notes) =>
        new(name, runs, tally.Results, tally.Lost, tally.Duplicated, tally.Stuck, recovery, ok && tally.Lost == 0 && tally.Duplicated == 0 && tally.Stuck == 0 && tally.Report.Checks.All(c => c.Ok), notes + (tally.Report.Checks.All(c => c.Ok) ? string.Empty : "; verify: " + string.Join(", ", tally.Report.Checks.Where(c => !c.Ok).Select(c => c.Name))));
}
