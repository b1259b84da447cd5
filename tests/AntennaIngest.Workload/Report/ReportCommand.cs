using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AntennaIngest.Workload.Cli;
using AntennaIngest.Workload.Copy;
using AntennaIngest.Workload.Measure;
using AntennaIngest.Workload.Setup;

namespace AntennaIngest.Workload.Report;

/// <summary>`report`: the contenders of one results folder as Markdown, JSON and an SVG chart, with ratios to the baseline and to the COPY ceiling.</summary>
public static class ReportCommand
{
    public const string Usage = "report --dir RESULTS_DIR [--baseline celery-prefork-16] [--title TEXT] [--order a,b,c]";

    public static async Task<int> RunAsync(Options options)
    {
        var dir = options.Required("dir");
        var baseline = options.Get("baseline", "celery-prefork-16");
        var title = options.Get("title", "antenna-ingest benchmark");
        var order = options.Get("order")?.Split(',', StringSplitOptions.RemoveEmptyEntries) ?? [];
        options.EnsureAllRead();

        var contenders = new List<ContenderResult>();
        foreach (var file in Directory.GetFiles(dir, "*.json").Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(file);
            if (name is "copy.json" or "summary.json" or "manifest.json" or "expectations.json")
            {
                continue;
            }

            try
            {
                if (JsonSerializer.Deserialize(await File.ReadAllBytesAsync(file), WorkloadJson.Default.ContenderResult) is { Contender.Length: > 0 } result)
                {
                    // Hand-written placeholders (a skipped contender) carry only name, status and message.
                    contenders.Add(result with
                    {
                        LatencyMs = result.LatencyMs ?? new Percentiles(0, 0, 0, 0, 0),
                        SmallLatencyMs = result.SmallLatencyMs ?? new Percentiles(0, 0, 0, 0, 0),
                        VerifyFailures = result.VerifyFailures ?? [],
                        AckKinds = result.AckKinds ?? [],
                        Message = result.Message ?? string.Empty,
                    });
                }
            }
            catch (JsonException)
            {
            }
        }

        contenders = [.. contenders.OrderBy(c => Array.IndexOf(order, c.Contender) is var i and >= 0 ? i : int.MaxValue).ThenBy(c => c.Contender, StringComparer.Ordinal)];
        var copyPath = Path.Combine(dir, "copy.json");
        var copy = File.Exists(copyPath) ? JsonSerializer.Deserialize(await File.ReadAllBytesAsync(copyPath), WorkloadJson.Default.CopyResult) : null;
        var machine = Machine();
        var reference = contenders.FirstOrDefault(c => c.Contender == baseline && c.Status == "ok" && c.ResultsPerMinute > 0);

        await File.WriteAllTextAsync(Path.Combine(dir, "summary.md"), Markdown(title, contenders, copy, reference, machine));
        await File.WriteAllTextAsync(Path.Combine(dir, "chart.svg"), Chart(title, contenders, copy));
        await File.WriteAllTextAsync(Path.Combine(dir, "summary.json"), Json(contenders, copy, reference, machine));
        Console.WriteLine(Markdown(title, contenders, copy, reference, machine));
        return 0;
    }

    private static string F(double value, string format = "F0") => value.ToString(format, CultureInfo.InvariantCulture);

    private static string Ratio(double value, double reference) => reference > 0 && value > 0 ? F(value / reference, value / reference >= 10 ? "F0" : "F2") + "×" : "–";

    private static string Markdown(string title, List<ContenderResult> contenders, CopyResult? copy, ContenderResult? reference, string machine)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"## {title}\n\n{machine}\n\n");
        text.Append("| contender | status | results/min | vs prefork-16 | latency p50 / p95 / p99 (ms) | ≤10 KB p99 (ms) | DB round trips / result | peak server conns | pgbouncer cl_active / cl_waiting / sv_active | peak RSS (MB) | CPU s | errors |\n");
        text.Append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
        foreach (var c in contenders)
        {
            var errors = $"{c.Unacked} unacked, {c.Terminated} TERM, {c.Naks} NAK, {c.VerifyViolations} invariant";
            text.Append(CultureInfo.InvariantCulture, $"| {c.Contender} | {c.Status}{(c.Mode == "paced" ? $" (paced at {F(c.Rate, "F1")} results/s)" : string.Empty)}{(c.UntilCropsDone ? $" (until the last of {c.CropsMade} crops)" : string.Empty)}{(c.Message.Length > 0 && c.Status != "ok" ? ": " + c.Message : string.Empty)} | {F(c.ResultsPerMinute)} | {(c.Mode == "paced" ? "–" : Ratio(c.ResultsPerMinute, reference?.ResultsPerMinute ?? 0))} | {F(c.LatencyMs.P50)} / {F(c.LatencyMs.P95)} / {F(c.LatencyMs.P99)} | {F(c.SmallLatencyMs.P99)} | {F(c.RoundTripsPerResult, "F1")} | {c.PeakServerConnections} | {c.PoolPeakClientActive} / {c.PoolPeakClientWaiting} / {c.PoolPeakServerActive} | {F(c.PeakRssMb)} | {F(c.CpuSeconds, "F1")} | {errors} |\n");
        }

        if (copy is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $"| COPY ceiling | ok | {F(copy.ResultsPerMinute)} | {Ratio(copy.ResultsPerMinute, reference?.ResultsPerMinute ?? 0)} | – | – | – | 1 | – | – | – | – |\n");
            text.Append(CultureInfo.InvariantCulture, $"\nCOPY ceiling: {copy.Rows} rows ({copy.Occurrences} occurrences, {copy.Detections} detections, {copy.Classifications} classifications), {F(copy.MegabytesSent, "F1")} MB in {F(copy.Seconds, "F2")} s = **{F(copy.RowsPerSecond)} rows/s, {F(copy.MegabytesPerSecond, "F1")} MB/s**.\n");
            foreach (var c in contenders.Where(c => c.RowsPerSecond > 0))
            {
                text.Append(CultureInfo.InvariantCulture, $"- {c.Contender}: {F(c.RowsPerSecond)} rows/s = {F(100 * c.RowsPerSecond / copy.RowsPerSecond, "F1")} % of the COPY ceiling\n");
            }
        }

        text.Append("\nresults/min: results acked between the first and the last ack (backlog drained; contender start-up excluded). Latency: enqueue → ack observed on `$JS.ACK.>`. Round trips: client requests (Query or Sync) through a counting proxy in front of pgbouncer. Errors: results never acked, +TERM/+NAK acks, failed invariant checks (`verify`). A paced contender gets the same results at a fixed rate (half of antenna-ingest's measured backlog maximum) instead of as a backlog; its results/min is the offered rate. A contender run until the last crop counts its results/min until every detection has its crop (crops are not part of the ack); the Celery contenders do not crop (their crop tasks go to a queue nobody consumes).\n");
        foreach (var c in contenders.Where(c => c.VerifyFailures.Count > 0))
        {
            text.Append(CultureInfo.InvariantCulture, $"\n{c.Contender} invariant failures:\n");
            foreach (var failure in c.VerifyFailures)
            {
                text.Append(CultureInfo.InvariantCulture, $"- {failure}\n");
            }
        }

        return text.ToString();
    }

    private static string Json(List<ContenderResult> contenders, CopyResult? copy, ContenderResult? reference, string machine)
    {
        var root = new JsonObject
        {
            ["machine"] = machine,
            ["baseline"] = reference?.Contender,
            ["contenders"] = JsonSerializer.SerializeToNode(contenders, WorkloadJson.Default.ListContenderResult),
            ["copy"] = copy is null ? null : JsonSerializer.SerializeToNode(copy, WorkloadJson.Default.CopyResult),
        };
        var ratios = new JsonObject();
        foreach (var c in contenders)
        {
            ratios[c.Contender] = new JsonObject
            {
                ["throughput_vs_baseline"] = reference is null || c.ResultsPerMinute == 0 ? null : c.ResultsPerMinute / reference.ResultsPerMinute,
                ["round_trips_vs_baseline"] = reference is null || reference.RoundTripsPerResult == 0 ? null : c.RoundTripsPerResult / reference.RoundTripsPerResult,
                ["rss_vs_baseline"] = reference is null || reference.PeakRssMb == 0 ? null : c.PeakRssMb / reference.PeakRssMb,
                ["rows_vs_copy_ceiling"] = copy is null || copy.RowsPerSecond == 0 || c.RowsPerSecond == 0 ? null : c.RowsPerSecond / copy.RowsPerSecond,
            };
        }

        root["ratios"] = ratios;
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static string Chart(string title, List<ContenderResult> contenders, CopyResult? copy)
    {
        var bars = contenders.Where(c => c.Mode != "paced").Select(c => (c.Contender, c.ResultsPerMinute, c.Status)).ToList();
        if (copy is not null)
        {
            bars.Add(("COPY ceiling", copy.ResultsPerMinute, "ok"));
        }

        // Log scale: the contenders differ by orders of magnitude.
        var max = Math.Max(10, bars.Max(b => b.ResultsPerMinute));
        var decades = Math.Ceiling(Math.Log10(max));
        const int left = 190, width = 560, rowHeight = 34, top = 50;
        var height = top + (bars.Count * rowHeight) + 40;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{left + width + 120}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"13\">\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"10\" y=\"22\" font-size=\"15\" font-weight=\"bold\">{Escape(title)}: results per minute (log scale)</text>\n");
        for (var d = 0; d <= decades; d++)
        {
            var x = left + (width * d / decades);
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{F(x, "F1")}\" y1=\"{top - 8}\" x2=\"{F(x, "F1")}\" y2=\"{height - 30}\" stroke=\"#ddd\"/><text x=\"{F(x, "F1")}\" y=\"{height - 12}\" text-anchor=\"middle\" fill=\"#666\">{F(Math.Pow(10, d))}</text>\n");
        }

        for (var i = 0; i < bars.Count; i++)
        {
            var (name, value, status) = bars[i];
            var y = top + (i * rowHeight);
            var w = value >= 1 ? width * Math.Log10(value) / decades : 0;
            var color = name.StartsWith("antenna-ingest", StringComparison.Ordinal) ? "#2b7bb9" : name == "COPY ceiling" ? "#888" : "#e08a2c";
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 8}\" y=\"{y + 17}\" text-anchor=\"end\">{Escape(name)}</text>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{left}\" y=\"{y + 4}\" width=\"{F(w, "F1")}\" height=\"20\" fill=\"{color}\"/>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{F(left + w + 6, "F1")}\" y=\"{y + 18}\">{(status == "ok" ? F(value) : Escape(status))}</text>\n");
        }

        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static string Escape(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal);

    internal static string Machine()
    {
        string Read(string path) => File.Exists(path) ? File.ReadAllText(path) : string.Empty;
        var model = Read("/proc/cpuinfo").Split('\n').FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        var memory = Read("/proc/meminfo").Split('\n').FirstOrDefault(l => l.StartsWith("MemTotal", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?";
        var kb = long.TryParse(memory.Split(' ')[0], CultureInfo.InvariantCulture, out var k) ? k : 0;
        return $"Machine: {Environment.ProcessorCount} cores ({model}), {F(kb / 1024.0 / 1024.0, "F1")} GiB RAM, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}; services on loopback (PostgreSQL 15, pgbouncer transaction pooling, Redis, NATS JetStream, RabbitMQ).";
    }
}
