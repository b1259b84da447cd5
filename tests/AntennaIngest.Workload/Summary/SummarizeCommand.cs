using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using AntennaIngest.Workload.Cli;
using AntennaIngest.Workload.Copy;
using AntennaIngest.Workload.Report;
using AntennaIngest.Workload.Setup;

namespace AntennaIngest.Workload.Summary;

/// <summary>
/// `summarize`: the runs of a benchmark-v2 folder (runs/*/run.json + what `measure` wrote) as
/// summary.json, summary.md and two SVG charts. Every number is computed here from the committed
/// run files, so README tables generated from summary.json trace back to raw measurements.
/// </summary>
public static class SummarizeCommand
{
    public const string Usage = "summarize --dir RESULTS_DIR [--baseline antenna-prefork-16] [--title TEXT]";

    public static async Task<int> RunAsync(Options options)
    {
        var dir = options.Required("dir");
        var baseline = options.Get("baseline", "antenna-prefork-16");
        var title = options.Get("title", "Benchmark v2");
        options.EnsureAllRead();

        var runs = Directory.Exists(Path.Combine(dir, "runs"))
            ? Directory.GetDirectories(Path.Combine(dir, "runs")).Select(RunRecord.Read).OfType<RunRecord>().OrderBy(r => r.Sequence).ToList()
            : [];
        if (runs.Count == 0)
        {
            throw new UsageException($"{dir}/runs holds no run.json");
        }

        var cells = Cell.Group(runs);
        var copyPath = Path.Combine(dir, "copy.json");
        var copy = File.Exists(copyPath) ? JsonSerializer.Deserialize(await File.ReadAllBytesAsync(copyPath), WorkloadJson.Default.CopyResult) : null;
        var versionsPath = Path.Combine(dir, "versions.json");
        var versions = File.Exists(versionsPath) ? JsonNode.Parse(await File.ReadAllTextAsync(versionsPath)) : null;
        var summary = new MatrixSummary(title, baseline, runs, cells, copy, versions, TimeBudget.Read(dir, runs));

        await File.WriteAllTextAsync(Path.Combine(dir, "summary.json"), summary.Json());
        await File.WriteAllTextAsync(Path.Combine(dir, "summary.md"), SummaryMarkdown.Render(summary));
        await File.WriteAllTextAsync(Path.Combine(dir, "throughput-vs-delay.svg"), SummaryCharts.ThroughputByDelay(summary));
        await File.WriteAllTextAsync(Path.Combine(dir, "latency-cdf.svg"), SummaryCharts.LatencyCdf(summary));
        Console.WriteLine(SummaryMarkdown.Render(summary));
        return 0;
    }
}

/// <summary>Everything the outputs are made from.</summary>
public sealed record MatrixSummary(string Title, string Baseline, IReadOnlyList<RunRecord> Runs, IReadOnlyList<Cell> Cells, CopyResult? Copy, JsonNode? Versions, TimeBudget? Budget = null)
{
    public IReadOnlyList<double> Delays => [.. Cells.Select(c => c.DelayMs).Distinct().Order()];

    public IReadOnlyList<Cell> Backlog => [.. Cells.Where(c => c.Mode == "backlog").OrderBy(c => c.DelayMs).ThenBy(c => Rank(c.Contender)).ThenBy(c => c.Contender, StringComparer.Ordinal)];

    public IReadOnlyList<Cell> Paced => [.. Cells.Where(c => c.Mode == "paced").OrderBy(c => c.DelayMs).ThenBy(c => c.Load, StringComparer.Ordinal).ThenBy(c => Rank(c.Contender)).ThenBy(c => c.Contender, StringComparer.Ordinal)];

    public Cell? BaselineAt(double delay) => Backlog.FirstOrDefault(c => c.Contender == Baseline && c.DelayMs == delay);

    /// <summary>Exception classes in a cell's logs that the baseline's logs (any delay) never show.</summary>
    public IReadOnlyList<string> NewExceptionTypes(Cell cell)
    {
        var baseline = Cells.Where(c => c.Contender == Baseline).SelectMany(c => c.ExceptionTypes).ToHashSet(StringComparer.Ordinal);
        return [.. cell.ExceptionTypes.Where(t => !baseline.Contains(t)).Order(StringComparer.Ordinal)];
    }

    public int Repetitions => Cells.Count == 0 ? 0 : Cells.Max(c => c.Runs.Count);

    /// <summary>Repetitions of the cells run fewer times than <see cref="Repetitions"/> (the variants), if any.</summary>
    public int? FewestRepetitions => Cells.Count == 0 || Cells.Min(c => c.Runs.Count) == Repetitions ? null : Cells.Min(c => c.Runs.Count);

    /// <summary>
    /// How long the matrix took: the first run's start (its set-up included) to the last run's end.
    /// Null when a run lacks its start time (runs recorded before it was written).
    /// </summary>
    public double? Minutes =>
        Runs.Count == 0 || Runs.Any(r => r.StartedAt is null)
            ? null
            : (Runs.Max(r => r.StartedAt!.Value.AddSeconds(r.WallSeconds)) - Runs.Min(r => r.StartedAt!.Value)).TotalMinutes;

    // The binary first, then Antenna's pools by concurrency: the order tables and charts list them.
    private static int Rank(string contender) => contender.StartsWith("antenna-ingest", StringComparison.Ordinal) ? 0 : contender.Contains("prefork", StringComparison.Ordinal) ? 1 : 2;

    public string Json()
    {
        static JsonObject Estimate(Estimate e) => new()
        {
            ["n"] = e.N,
            ["mean"] = Round(e.Mean),
            ["ci95_low"] = Round(e.Low),
            ["ci95_high"] = double.IsFinite(e.High) ? Round(e.High) : null,
            ["values"] = new JsonArray([.. e.Values.Select(v => (JsonNode?)Round(v))]),
        };

        JsonObject CellJson(Cell c)
        {
            var node = new JsonObject
            {
                ["contender"] = c.Contender,
                ["added_rtt_ms"] = c.DelayMs,
                ["mode"] = c.Mode,
                ["load"] = c.Load,
                ["runs"] = c.Runs.Count,
                ["runs_ok"] = c.Ok.Count,
                ["not_ok"] = c.NotOk,
                ["results_per_minute"] = Estimate(c.PerMinute),
                ["results_per_minute_first_to_last_ack"] = Estimate(c.Of(r => r.PerMinuteFirstToLast)),
                ["latency_ms_p50"] = Estimate(c.Of(r => r.LatencyP50)),
                ["latency_ms_p95"] = Estimate(c.Of(r => r.LatencyP95)),
                ["latency_ms_p99"] = Estimate(c.Of(r => r.LatencyP99)),
                ["small_results_latency_ms_p99"] = Estimate(c.Of(r => r.SmallLatencyP99)),
                ["task_seconds_p50"] = Estimate(c.TaskSecondsP50),
                ["task_seconds_p95"] = Estimate(c.TaskSecondsP95),
                ["db_queries_per_result"] = Estimate(c.Of(r => r.RoundTripsPerResult)),
                ["peak_memory_mb"] = Estimate(c.Of(r => r.PeakMemoryMb)),
                ["peak_memory_per_process_mb"] = Estimate(c.Of(r => r.PeakMemoryPerProcessMb)),
                ["memory_kind"] = c.Runs.Count > 0 ? c.Runs[0].MemoryKind : null,
                ["host_cpu_seconds_per_1000_results"] = Estimate(c.Of(r => r.HostCpuSecondsPer1000)),
                ["contender_cpu_seconds_per_1000_results"] = Estimate(c.Of(r => r.ContenderCpuSecondsPer1000)),
                ["pgbouncer_peak_cl_active"] = c.Runs.Count == 0 ? 0 : c.Runs.Max(r => r.PoolClientActive),
                ["pgbouncer_peak_cl_waiting"] = c.Runs.Count == 0 ? 0 : c.Runs.Max(r => r.PoolClientWaiting),
                ["pgbouncer_peak_sv_active"] = c.Runs.Count == 0 ? 0 : c.Runs.Max(r => r.PoolServerActive),
                ["postgres_peak_connections"] = c.Runs.Count == 0 ? 0 : c.Runs.Max(r => r.ServerConnections),
                ["problems"] = c.Problems,
                ["exception_types"] = new JsonArray([.. c.ExceptionTypes.Order(StringComparer.Ordinal).Select(t => (JsonNode?)t)]),
                ["new_exception_types_vs_baseline"] = new JsonArray([.. NewExceptionTypes(c).Select(t => (JsonNode?)t)]),
            };
            if (c.Mode == "backlog" && BaselineAt(c.DelayMs) is { } reference)
            {
                node["results_per_minute_vs_baseline"] = Estimate(c.PerMinute.RatioTo(reference.PerMinute));
            }

            return node;
        }

        var root = new JsonObject
        {
            ["title"] = Title,
            ["machine"] = ReportCommand.Machine(),
            ["versions"] = Versions?.DeepClone(),
            ["baseline"] = Baseline,
            ["added_rtt_ms"] = new JsonArray([.. Delays.Select(d => (JsonNode?)d)]),
            ["repetitions"] = Repetitions,
            ["fewest_repetitions"] = FewestRepetitions,
            ["matrix_minutes"] = Minutes is { } minutes ? Round(minutes) : null,
            ["time_budget"] = Budget?.Json(),
            ["clock"] = "results_per_minute: results acked / (contender start → last ack, or last crop stored); the same monotonic clock for every contender",
            ["order"] = new JsonArray([.. Runs.Select(r => (JsonNode?)$"{r.Sequence}: {r.Contender} @ {r.DelayMs} ms r{r.Repetition} {r.Mode} {r.Load}".TrimEnd())]),
            ["backlog"] = new JsonArray([.. Backlog.Select(c => (JsonNode?)CellJson(c))]),
            ["paced"] = new JsonArray([.. Paced.Select(c => (JsonNode?)CellJson(c))]),
            ["copy_ceiling"] = Copy is null ? null : JsonSerializer.SerializeToNode(Copy, WorkloadJson.Default.CopyResult),
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static double Round(double value) => double.IsFinite(value) ? Math.Round(value, 3) : 0;

    internal static string F(double value, string format = "F0") => value.ToString(format, CultureInfo.InvariantCulture);
}
