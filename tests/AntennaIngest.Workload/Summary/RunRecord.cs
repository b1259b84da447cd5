using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace AntennaIngest.Workload.Summary;

/// <summary>
/// One timed run of the matrix: what the orchestrator planned (run.json: contender, added delay,
/// repetition, order, load) and what `measure` recorded (&lt;contender&gt;.json), plus what the
/// contender's own log says (Celery task durations, exception classes).
/// </summary>
public sealed partial record RunRecord
{
    public required string Directory { get; init; }

    public required string Contender { get; init; }

    public double DelayMs { get; init; }

    public int Repetition { get; init; }

    public int Sequence { get; init; }

    public string Mode { get; init; } = "backlog";

    public string Load { get; init; } = string.Empty;

    public double OfferedRate { get; init; }

    public string Status { get; init; } = "missing";

    /// <summary>When the orchestrator began the run (before its set-up and enqueue).</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>The contender's wall time, from its start to its end.</summary>
    public double WallSeconds { get; init; }

    public int Results { get; init; }

    public int Acked { get; init; }

    public int Problems { get; init; }

    /// <summary>The headline: results acked per minute from the contender's start to its last ack (or last crop).</summary>
    public double PerMinuteFromStart { get; init; }

    /// <summary>From the first to the last ack: the contender's start-up excluded (the first benchmark's clock).</summary>
    public double PerMinuteFirstToLast { get; init; }

    public double LatencyP50 { get; init; }

    public double LatencyP95 { get; init; }

    public double LatencyP99 { get; init; }

    public double SmallLatencyP99 { get; init; }

    public double RoundTripsPerResult { get; init; }

    public double PeakMemoryMb { get; init; }

    public double PeakMemoryPerProcessMb { get; init; }

    public string MemoryKind { get; init; } = "PSS";

    public double HostCpuSecondsPer1000 { get; init; }

    public double ContenderCpuSecondsPer1000 { get; init; }

    public long PoolClientActive { get; init; }

    public long PoolClientWaiting { get; init; }

    public long PoolServerActive { get; init; }

    public long ServerConnections { get; init; }

    public IReadOnlyList<double> TaskSeconds { get; init; } = [];

    public IReadOnlySet<string> ExceptionTypes { get; init; } = new HashSet<string>();

    /// <summary>The harness's time around the run; null for runs recorded before it was kept.</summary>
    public RunHarness? Harness { get; init; }

    public static RunRecord? Read(string directory)
    {
        var planPath = Path.Combine(directory, "run.json");
        if (!File.Exists(planPath) || JsonNode.Parse(File.ReadAllText(planPath)) is not JsonObject plan)
        {
            return null;
        }

        var contender = (string?)plan["contender"] ?? throw new InvalidDataException($"{planPath}: no contender");
        var record = new RunRecord
        {
            Directory = directory,
            Contender = contender,
            DelayMs = Number(plan, "delay_ms"),
            Repetition = (int)Number(plan, "repetition"),
            Sequence = (int)Number(plan, "sequence"),
            Mode = (string?)plan["mode"] ?? "backlog",
            Load = (string?)plan["load"] ?? string.Empty,
            OfferedRate = Number(plan, "offered_rate"),
            StartedAt = DateTimeOffset.TryParse((string?)plan["started_at"], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var started) ? started : null,
        };
        var resultPath = Path.Combine(directory, $"{contender}.json");
        if (!File.Exists(resultPath) || JsonNode.Parse(File.ReadAllText(resultPath)) is not JsonObject result)
        {
            return record;
        }

        var acked = (int)Number(result, "acked");
        var fromStartSeconds = Number(result, "startup_seconds") + Number(result, "window_seconds");
        var pss = Number(result, "peak_pss_mb");
        var (taskSeconds, exceptions) = ReadLog(Path.Combine(directory, $"{contender}.log"));
        return record with
        {
            Status = (string?)result["status"] ?? "?",
            Results = (int)Number(result, "results"),
            WallSeconds = Number(result, "wall_seconds"),
            Acked = acked,
            Problems = (int)(Number(result, "unacked") + Number(result, "terminated") + Number(result, "naks") + Number(result, "verify_violations")),
            PerMinuteFromStart = Number(result, "results_per_minute_from_start") is > 0 and var recorded ? recorded : fromStartSeconds > 0 ? acked / fromStartSeconds * 60 : 0,
            PerMinuteFirstToLast = Number(result, "results_per_minute"),
            LatencyP50 = Number(result["latency_ms"], "p50"),
            LatencyP95 = Number(result["latency_ms"], "p95"),
            LatencyP99 = Number(result["latency_ms"], "p99"),
            SmallLatencyP99 = Number(result["small_latency_ms"], "p99"),
            RoundTripsPerResult = Number(result, "round_trips_per_result"),
            PeakMemoryMb = pss > 0 ? pss : Number(result, "peak_rss_mb"),
            PeakMemoryPerProcessMb = Number(result, "peak_pss_per_process_mb"),
            MemoryKind = pss > 0 ? "PSS" : "RSS",
            HostCpuSecondsPer1000 = acked > 0 ? Number(result, "host_cpu_seconds") * 1000 / acked : 0,
            ContenderCpuSecondsPer1000 = acked > 0 ? Number(result, "cpu_seconds") * 1000 / acked : 0,
            PoolClientActive = (long)Number(result, "pool_peak_client_active"),
            PoolClientWaiting = (long)Number(result, "pool_peak_client_waiting"),
            PoolServerActive = (long)Number(result, "pool_peak_server_active"),
            ServerConnections = (long)Number(result, "peak_server_connections"),
            TaskSeconds = taskSeconds,
            ExceptionTypes = exceptions,
            Harness = ReadHarness(directory, result["harness"]),
        };
    }

    private static RunHarness? ReadHarness(string directory, JsonNode? measured)
    {
        var path = Path.Combine(directory, "harness.json");
        if (measured is null || !File.Exists(path) || JsonNode.Parse(File.ReadAllText(path)) is not JsonObject around)
        {
            return null;
        }

        return new RunHarness(Number(around, "setup_s"), Number(measured, "enqueue"), Number(measured, "network"), Number(measured, "stop"), Number(measured, "verify"), Number(around, "cleanup_s"));
    }

    /// <summary>Enqueue → ack latencies (ms) of the acked results, from the run's acks file.</summary>
    public IReadOnlyList<double> Latencies()
    {
        var values = new List<double>();
        foreach (var line in Lines(Path.Combine(Directory, $"{Contender}-acks.tsv")).Skip(1))
        {
            var fields = line.Split('\t');
            if (fields.Length > 2 && long.TryParse(fields[1], CultureInfo.InvariantCulture, out var sent) && long.TryParse(fields[2], CultureInfo.InvariantCulture, out var acked) && sent > 0)
            {
                values.Add((acked - sent) / 1e6);
            }
        }

        return values;
    }

    private static (List<double> TaskSeconds, HashSet<string> Exceptions) ReadLog(string path)
    {
        var seconds = new List<double>();
        var exceptions = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in Lines(path))
        {
            if (CeleryTaskDone().Match(line) is { Success: true } done)
            {
                seconds.Add(double.Parse(done.Groups[1].Value, CultureInfo.InvariantCulture));
            }

            foreach (Match m in ExceptionName().Matches(line))
            {
                exceptions.Add(m.Groups[1].Value);
            }
        }

        return (seconds, exceptions);
    }

    /// <summary>The file's lines, or those of its gzipped copy (large run files are committed compressed).</summary>
    private static IEnumerable<string> Lines(string path)
    {
        if (File.Exists(path))
        {
            return File.ReadLines(path);
        }

        return File.Exists(path + ".gz") ? ReadGzip(path + ".gz") : [];
    }

    private static IEnumerable<string> ReadGzip(string path)
    {
        using var reader = new StreamReader(new System.IO.Compression.GZipStream(File.OpenRead(path), System.IO.Compression.CompressionMode.Decompress));
        while (reader.ReadLine() is { } line)
        {
            yield return line;
        }
    }

    private static double Number(JsonNode? node, string name) =>
        node?[name] is JsonValue value && value.TryGetValue<double>(out var number) ? number : 0;

    // Celery's worker log: "Task ami.jobs.tasks.process_nats_pipeline_result[…] succeeded in 0.41s: None".
    [GeneratedRegex(@"process_nats_pipeline_result\[[^\]]*\] succeeded in ([0-9.]+)s")]
    private static partial Regex CeleryTaskDone();

    // Python (psycopg.OperationalError) and .NET (Npgsql.NpgsqlException) exception classes.
    [GeneratedRegex(@"\b((?:[A-Za-z_][A-Za-z0-9_]*\.)*[A-Z][A-Za-z0-9_]*(?:Error|Exception))\b")]
    private static partial Regex ExceptionName();
}
