using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using AntennaIngest.Testing;
using AntennaIngest.Workload.Cli;
using AntennaIngest.Workload.Enqueue;
using AntennaIngest.Workload.Setup;
using AntennaIngest.Workload.Verify;

namespace AntennaIngest.Workload.Measure;

/// <summary>
/// `measure`: runs one contender against a set-up database. With --delay-ms, the contender reaches
/// pgbouncer, Redis, NATS and RabbitMQ through delaying proxies (<see cref="ContenderNetwork"/>);
/// the harness stays direct. Watches acks on `$JS.ACK.>`, enqueues the results (all before the
/// contender starts, or paced while it runs), samples connections, pool use, memory and CPU of
/// the contender's process session and the host's CPU, stops the contender when every result is
/// acked (or it stalls), counts its queries from pgbouncer's SHOW STATS (nothing counts in its
/// path), then runs the invariant checker.
/// </summary>
public static partial class MeasureCommand
{
    public const string Usage =
        """
        measure --manifest FILE --out DIR --contender NAME --command "SHELL COMMAND" [--seed 1] [--target celery|jetstream]
                [--queue ml_results] [--rate 0] [--timeout 600] [--first-ack-timeout 60] [--stall-timeout 60] [--poll-ms 250]
                [--wait-crops (keep the contender running until every detection has its crop; throughput counts until then)]
                [--delay-ms 0 (round trip added to the contender's connections to pgbouncer, Redis, NATS and RabbitMQ by user-space proxies; 0 = direct)]
                [--body-cache DIR (keep each result's JSON compressed there for later runs of the same benchmark)]
        """;

    public static async Task<int> RunAsync(Options options)
    {
        var manifest = Manifest.Load(options.Required("manifest"));
        var output = options.Required("out");
        var contender = options.Required("contender");
        var command = options.Required("command");
        var seed = options.Number("seed", 1);
        var enqueueSettings = EnqueueCommand.Settings(options, manifest);
        var limits = new Limits(
            TimeSpan.FromSeconds(options.Fraction("timeout", 600)),
            TimeSpan.FromSeconds(options.Fraction("first-ack-timeout", 60)),
            TimeSpan.FromSeconds(options.Fraction("stall-timeout", 60)),
            TimeSpan.FromMilliseconds(options.Number("poll-ms", 250)),
            options.Flag("wait-crops"));
        var addedRttMs = options.Fraction("delay-ms", 0);
        options.EnsureAllRead();
        Directory.CreateDirectory(output);

        var result = await MeasureAsync(manifest, new ResultSource(manifest, seed), enqueueSettings, contender, command, limits, output, addedRttMs);
        await File.WriteAllBytesAsync(Path.Combine(output, $"{contender}.json"), JsonSerializer.SerializeToUtf8Bytes(result, WorkloadJson.Default.ContenderResult));
        Console.WriteLine(
            string.Create(
                CultureInfo.InvariantCulture,
                $"measure {contender}: {result.Status} {result.Message} — {result.Acked}/{result.Results} acked, {result.ResultsPerMinute:F0} results/min, p50/p95/p99 {result.LatencyMs.P50:F0}/{result.LatencyMs.P95:F0}/{result.LatencyMs.P99:F0} ms, {result.ResultsPerMinuteFromStart:F0} results/min from start, {result.RoundTripsPerResult:F1} queries/result, peak {result.PeakServerConnections} server conns, {result.PeakRssMb:F0} MB RSS, {result.PeakPssMb:F0} MB PSS, {result.CpuSeconds:F1} CPU s, host {result.HostCpuSecondsPer1000Results:F1} CPU s/1000 results, added RTT {result.Network.AddedRttMs} ms (proxy {result.Network.ProxyCpuSeconds:F2} CPU s), {result.VerifyViolations} invariant violations"));
        return result.Status is "ok" or "skipped" ? 0 : 1;
    }

    public static async Task<ContenderResult> MeasureAsync(Manifest manifest, ResultSource source, EnqueueSettings enqueueSettings, string contender, string command, Limits limits, string output, double addedRttMs = 0)
    {
        var clockStart = EnqueueCommand.UnixNanoseconds();
        var stopwatch = Stopwatch.StartNew();
        long Clock() => clockStart + (stopwatch.ElapsedTicks * (1_000_000_000L / Stopwatch.Frequency));

        await using var nats = ServiceClients.Nats(manifest.NatsUrl, "antenna-workload-acks");
        await using var acks = new AckObserver(nats, Clock);
        await acks.StartAsync(manifest.Jobs.Select(j => $"job_{j.Id}"), CancellationToken.None);
        await using var connections = new ConnectionSampler(manifest.DirectUrl, manifest.Database, ServiceEndpoints.PgbouncerAdminUrl);
        await using var enqueuer = new Enqueuer(source, enqueueSettings);
        await enqueuer.ConnectAsync(CancellationToken.None);

        var enqueued = new Dictionary<string, (long Ns, int Bytes)>(StringComparer.Ordinal);
        void OnEnqueued(string reply, long ns, int bytes)
        {
            lock (enqueued)
            {
                enqueued[reply] = (ns, bytes);
            }
        }

        Expectations? expectations = null;
        Task<Expectations>? pacedEnqueue = null;
        var phase = Stopwatch.StartNew();
        if (enqueueSettings.Rate <= 0)
        {
            expectations = await enqueuer.RunAsync(Clock, OnEnqueued, CancellationToken.None);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"measure {contender}: backlog of {expectations.Results.Count} results ({expectations.Bytes / 1e6:F1} MB) enqueued in {phase.Elapsed.TotalSeconds:F1} s"));
        }

        var enqueueSeconds = phase.Elapsed.TotalSeconds;
        var logPath = Path.Combine(output, $"{contender}.log");
        phase.Restart();
        await using var network = await ContenderNetwork.StartAsync(addedRttMs, manifest, enqueueSettings.BrokerUrl);
        var networkSeconds = phase.Elapsed.TotalSeconds;
        var pgbouncerBefore = await PgbouncerStats.ReadAsync(ServiceEndpoints.PgbouncerAdminUrl, manifest.Database, CancellationToken.None);
        var process = StartContender(command, network.Environment, enqueueSettings, manifest, logPath);
        var startNs = Clock();
        var hostCpuAtStart = HostCpu.BusySeconds();
        var sampler = new ProcessTreeSampler(process.Id);
        var samples = 0;
        var samplesPerSecond = Math.Max(1, (int)(1000 / limits.Poll.TotalMilliseconds));
        bool SampleProcesses()
        {
            var everySecond = samples++ % samplesPerSecond == 0;
            sampler.Sample(withPss: everySecond);
            return everySecond;
        }

        if (enqueueSettings.Rate > 0)
        {
            pacedEnqueue = enqueuer.RunAsync(Clock, OnEnqueued, CancellationToken.None);
        }

        var expectedCount = enqueueSettings.Limit > 0 ? Math.Min(enqueueSettings.Limit, manifest.ImageCount) : manifest.ImageCount;
        var status = "ok";
        var message = string.Empty;
        var lastProgress = Stopwatch.StartNew();
        var progressLine = Stopwatch.StartNew();
        var lastAcked = 0;
        while (true)
        {
            await Task.Delay(limits.Poll);
            var everySecond = SampleProcesses();
            await connections.SampleDatabaseAsync(CancellationToken.None);
            if (everySecond)
            {
                await connections.SamplePoolsAsync(CancellationToken.None);
            }

            var acked = acks.Acked;
            if (acked != lastAcked)
            {
                lastAcked = acked;
                lastProgress.Restart();
            }

            var elapsed = TimeSpan.FromTicks((Clock() - startNs) / 100);
            if (progressLine.Elapsed >= TimeSpan.FromSeconds(1))
            {
                progressLine.Restart();
                Console.Error.Write(string.Create(CultureInfo.InvariantCulture, $"\r{contender}: {acked}/{expectedCount} results acked, {acked / Math.Max(0.001, elapsed.TotalSeconds):F1} results/s, {elapsed.TotalSeconds:F0} s   "));
            }

            if (acked >= expectedCount && (pacedEnqueue is null || pacedEnqueue.IsCompleted) && (acked > 0 || expectedCount == 0))
            {
                break;
            }

            if (process.HasExited)
            {
                status = acked == 0 ? "skipped" : "failed";
                message = $"contender exited with code {process.ExitCode} after {acked} acks (log: {logPath})";
                break;
            }

            if (acked == 0 && elapsed > limits.FirstAck)
            {
                status = "skipped";
                message = $"no result acked within {limits.FirstAck.TotalSeconds:F0} s of start: the contender does not process results yet (log: {logPath})";
                break;
            }

            if (lastProgress.Elapsed > limits.Stall && acked > 0)
            {
                status = "incomplete";
                message = $"stalled: no new ack for {limits.Stall.TotalSeconds:F0} s";
                break;
            }

            if (elapsed > limits.Total)
            {
                status = "incomplete";
                message = $"timed out after {limits.Total.TotalSeconds:F0} s";
                break;
            }
        }

        // Crops are not part of the ack: with --wait-crops the contender keeps running until the
        // last detection has its crop, and throughput is counted until then.
        var (cropsMade, cropsMissing, cropsDoneNs) = (0L, 0L, 0L);
        if (limits.WaitCrops && status == "ok")
        {
            await using var database = Npgsql.NpgsqlDataSource.Create(ServiceEndpoints.ToConnectionString(manifest.DirectUrl));
            while (true)
            {
                await using var count = database.CreateCommand("SELECT count(*) FILTER (WHERE path IS NOT NULL), count(*) FILTER (WHERE path IS NULL) FROM main_detection WHERE bbox IS NOT NULL");
                await using var reader = await count.ExecuteReaderAsync();
                await reader.ReadAsync();
                (cropsMade, cropsMissing) = (reader.GetInt64(0), reader.GetInt64(1));
                var elapsed = TimeSpan.FromTicks((Clock() - startNs) / 100);
                if (cropsMissing == 0 || process.HasExited || elapsed > limits.Total)
                {
                    break;
                }

                SampleProcesses();
                Console.Error.Write(string.Create(CultureInfo.InvariantCulture, $"\r{contender}: all acked; {cropsMade} crops made, {cropsMissing} to go, {elapsed.TotalSeconds:F0} s   "));
                await Task.Delay(limits.Poll);
            }

            cropsDoneNs = cropsMissing == 0 ? Clock() : 0;
            if (cropsMissing > 0)
            {
                status = "incomplete";
                message = $"{cropsMissing} detections still without a crop";
            }
        }

        var endNs = Clock();
        var hostCpu = HostCpu.BusySeconds() - hostCpuAtStart;
        sampler.Sample(withPss: true); // PSS is sampled once a second: a short run's end state would be missed
        Console.Error.WriteLine();
        phase.Restart();
        var exitCode = await StopAsync(process);
        var networkReport = await network.StopAsync();
        var stopSeconds = phase.Elapsed.TotalSeconds;
        var pgbouncerAfter = await PgbouncerStats.ReadAsync(ServiceEndpoints.PgbouncerAdminUrl, manifest.Database, CancellationToken.None);
        expectations ??= await pacedEnqueue!;
        var (firstAck, kinds) = acks.Snapshot();
        await WriteAcksAsync(Path.Combine(output, $"{contender}-acks.tsv"), expectations, firstAck, enqueued);

        VerifyReport? report = null;
        phase.Restart();
        if (status != "skipped")
        {
            report = await new Verifier(manifest, expectations, firstAck.Keys.ToHashSet(StringComparer.Ordinal)).RunAsync(CancellationToken.None);
            await using var writer = new StringWriter(CultureInfo.InvariantCulture);
            report.Print(writer);
            await File.WriteAllTextAsync(Path.Combine(output, $"{contender}-verify.txt"), writer.ToString());
        }

        var verifySeconds = phase.Elapsed.TotalSeconds;
        var result = Summarize(contender, status, message, enqueueSettings, expectations, firstAck, kinds, enqueued, startNs, endNs, connections, sampler, report, exitCode);
        result = WithPgbouncerCounts(result, pgbouncerBefore, pgbouncerAfter) with
        {
            HostCpuSeconds = hostCpu,
            HostCpuSecondsPer1000Results = result.Acked > 0 ? hostCpu / result.Acked * 1000 : 0,
            Network = networkReport,
            ProxyConnections = networkReport.Proxies.FirstOrDefault(p => p.Name == "pgbouncer")?.Connections ?? 0,
            Harness = new HarnessSeconds(enqueueSeconds, networkSeconds, stopSeconds, verifySeconds),
        };
        if (!limits.WaitCrops || cropsDoneNs == 0)
        {
            return result with { CropsMade = cropsMade, CropsMissing = cropsMissing };
        }

        // The run ends at the last crop: every clock but first → last ack stops there.
        var firstAckNs = firstAck.Count > 0 ? firstAck.Values.Min() : 0;
        var window = cropsDoneNs > firstAckNs && firstAckNs > 0 ? (cropsDoneNs - firstAckNs) / 1e9 : result.WindowSeconds;
        var fromStart = (cropsDoneNs - startNs) / 1e9;
        var fromEnqueue = result.SecondsFromEnqueueStart > 0 ? result.SecondsFromEnqueueStart + ((cropsDoneNs - startNs) / 1e9) - result.SecondsFromStart : 0;
        return result with
        {
            CropsMade = cropsMade,
            CropsMissing = cropsMissing,
            UntilCropsDone = true,
            WindowSeconds = window,
            ResultsPerMinute = window > 0 ? (result.Acked - 1) / window * 60 : result.ResultsPerMinute,
            ResultsPerMinuteFromStart = fromStart > 0 ? result.Acked / fromStart * 60 : 0,
            SecondsFromStart = fromStart,
            ResultsPerMinuteFromEnqueueStart = fromEnqueue > 0 ? result.Acked / fromEnqueue * 60 : 0,
            SecondsFromEnqueueStart = fromEnqueue,
            RowsPerSecond = window > 0 ? result.RowsPerSecond * result.WindowSeconds / window : result.RowsPerSecond,
        };
    }

    private static Process StartContender(string command, IReadOnlyDictionary<string, string> serviceUrls, EnqueueSettings settings, Manifest manifest, string logPath)
    {
        // setsid: the contender and all its workers share one session, which the sampler follows and the stop signals.
        var start = new ProcessStartInfo("setsid", ["bash", "-c", $"exec >>'{logPath}' 2>&1; {command}"]) { UseShellExecute = false };
        foreach (var (variable, url) in serviceUrls)
        {
            start.Environment[variable] = url;
        }

        start.Environment["BENCH_DATABASE_URL"] = serviceUrls["DATABASE_URL"];
        start.Environment["BENCH_DIRECT_DATABASE_URL"] = manifest.DirectUrl;
        start.Environment["BENCH_QUEUE"] = settings.Queue;
        start.Environment["INGEST_CELERY_QUEUE"] = settings.Queue;
        start.Environment["INGEST_JETSTREAM_STREAM"] = settings.ResultsStream;
        start.Environment["INGEST_JETSTREAM_SUBJECT"] = settings.SubjectPrefix + ".>";
        start.Environment["NATS_TASK_TTR"] = manifest.AckWaitSeconds.ToString(CultureInfo.InvariantCulture);
        return Process.Start(start) ?? throw new InvalidOperationException("could not start the contender");
    }

    private static async Task<int?> StopAsync(Process process)
    {
        if (!process.HasExited)
        {
            Signal("TERM", process.Id);
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                Signal("KILL", process.Id);
                await process.WaitForExitAsync();
            }
        }

        // Workers that outlive the session leader (Celery pool children) get the same signal.
        Signal("KILL", process.Id);
        return process.ExitCode;
    }

    private static void Signal(string signal, int sessionId)
    {
        // The session leader's pid is also its process group id: signal the whole group.
        using var kill = Process.Start(new ProcessStartInfo("kill", [$"-{signal}", "--", $"-{sessionId}"]) { RedirectStandardError = true, UseShellExecute = false });
        kill?.WaitForExit();
    }

    private static async Task WriteAcksAsync(string path, Expectations expectations, Dictionary<string, long> firstAck, Dictionary<string, (long Ns, int Bytes)> enqueued)
    {
        var text = new StringBuilder("reply_subject\tenqueued_unix_ns\tacked_unix_ns\tbytes\terror\tdetections\n");
        foreach (var result in expectations.Results)
        {
            var sent = enqueued.GetValueOrDefault(result.ReplySubject);
            var ack = firstAck.GetValueOrDefault(result.ReplySubject);
            text.Append(CultureInfo.InvariantCulture, $"{result.ReplySubject}\t{sent.Ns}\t{(ack == 0 ? string.Empty : ack)}\t{result.Bytes}\t{result.Error}\t{result.Detections}\n");
        }

        await File.WriteAllTextAsync(path, text.ToString());
    }
}

public sealed record Limits(TimeSpan Total, TimeSpan FirstAck, TimeSpan Stall, TimeSpan Poll, bool WaitCrops = false);
