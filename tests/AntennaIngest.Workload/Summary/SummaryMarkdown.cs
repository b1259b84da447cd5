using System.Globalization;
using System.Text;
using AntennaIngest.Workload.Report;
using static AntennaIngest.Workload.Summary.MatrixSummary;

namespace AntennaIngest.Workload.Summary;

/// <summary>summary.md: the matrix as tables of means with their 95 % intervals.</summary>
public static class SummaryMarkdown
{
    public static string Render(MatrixSummary s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"## {s.Title}\n\n{ReportCommand.Machine()}\n\n");
        if (s.Versions is { } versions)
        {
            text.Append("Versions: ").Append(string.Join(", ", versions.AsObject().Select(p => $"{p.Key} {p.Value}"))).Append("\n\n");
        }

        text.Append(CultureInfo.InvariantCulture, $"Added round-trip delay between every contender and pgbouncer, Redis, NATS and RabbitMQ: {string.Join(" / ", s.Delays.Select(d => F(d, "0.###")))} ms. {s.Repetitions} repetitions per cell in alternating order (summary.json lists the sequence). Means with their 95 % confidence interval (Student's t over the repetitions); ratios with the interval of the ratio of the two intervals' ends.\n\n");

        text.Append("### Throughput: a backlog drained, contender start → last ack\n\n");
        text.Append("| added RTT (ms) | contender | results/min | vs prefork-16 | first → last ack | task p50 / p95 (s) | DB queries / result | peak memory total / per process (MB) | host CPU s / 1,000 results | pgbouncer cl_active / cl_waiting / sv_active | PostgreSQL conns | errors | exception classes prefork never logs |\n");
        text.Append("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|\n");
        foreach (var c in s.Backlog)
        {
            var reference = s.BaselineAt(c.DelayMs);
            var ratio = reference is null || c.Contender == s.Baseline ? "1.00×" : Ratio(c.PerMinute.RatioTo(reference.PerMinute));
            var memoryKind = c.Runs.Count > 0 ? c.Runs[0].MemoryKind : "PSS";
            var tasks = c.TaskSecondsP50.N > 0 ? $"{F(c.TaskSecondsP50.Mean, "F2")} / {F(c.TaskSecondsP95.Mean, "F2")}" : "–";
            var errors = c.Problems == 0 && c.NotOk.Length == 0 ? "0" : $"{c.Problems}{(c.NotOk.Length > 0 ? $" ({c.NotOk})" : string.Empty)}";
            var exceptions = c.Contender == s.Baseline ? "(baseline)" : string.Join(", ", s.NewExceptionTypes(c)) is { Length: > 0 } names ? names : "none";
            text.Append(CultureInfo.InvariantCulture, $"| {F(c.DelayMs, "0.###")} | {c.Contender} | {Value(c.PerMinute)} | {ratio} | {Value(c.Of(r => r.PerMinuteFirstToLast))} | {tasks} | {F(c.Of(r => r.RoundTripsPerResult).Mean, "F1")} | {F(c.Of(r => r.PeakMemoryMb).Mean)} / {F(c.Of(r => r.PeakMemoryPerProcessMb).Mean)} {memoryKind} | {F(c.Of(r => r.HostCpuSecondsPer1000).Mean, "F1")} | {c.Runs.Max(r => r.PoolClientActive)} / {c.Runs.Max(r => r.PoolClientWaiting)} / {c.Runs.Max(r => r.PoolServerActive)} | {c.Runs.Max(r => r.ServerConnections)} | {errors} | {exceptions} |\n");
        }

        if (s.Paced.Count > 0)
        {
            text.Append("\n### Latency at the same offered load for every contender (enqueue → ack)\n\n");
            text.Append("| added RTT (ms) | offered load | contender | p50 (ms) | p95 (ms) | p99 (ms) | ≤ 10 KB p99 (ms) | errors |\n|---:|---|---|---:|---:|---:|---:|---|\n");
            foreach (var c in s.Paced)
            {
                text.Append(CultureInfo.InvariantCulture, $"| {F(c.DelayMs, "0.###")} | {c.Load} ({F(c.Runs[0].OfferedRate, "F1")}/s) | {c.Contender} | {Value(c.Of(r => r.LatencyP50))} | {Value(c.Of(r => r.LatencyP95))} | {Value(c.Of(r => r.LatencyP99))} | {Value(c.Of(r => r.SmallLatencyP99))} | {(c.Problems == 0 && c.NotOk.Length == 0 ? "0" : $"{c.Problems} {c.NotOk}")} |\n");
            }
        }

        if (s.Copy is { } copy)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n### COPY ceiling\n\nThe same rows by binary COPY, split over parallel streams (each its own connection and transaction); the ceiling is the best: **{F(copy.RowsPerSecond)} rows/s, {F(copy.MegabytesPerSecond, "F1")} MB/s, {F(copy.ResultsPerMinute)} results/min with {copy.Streams} stream(s)**.\n\n| streams | rows/s | MB/s | results/min |\n|---:|---:|---:|---:|\n");
            foreach (var trial in copy.Trials ?? [copy])
            {
                text.Append(CultureInfo.InvariantCulture, $"| {trial.Streams} | {F(trial.RowsPerSecond)} | {F(trial.MegabytesPerSecond, "F1")} | {F(trial.ResultsPerMinute)} |\n");
            }
        }

        if (s.Budget is { TotalMinutes: { } total } budget)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n### Where the time went\n\nThe script took **{F(total, "F1")} min** from its start to the summary.\n\n| phase | min |\n|---|---:|\n");
            foreach (var (phase, minutes) in budget.Phases)
            {
                text.Append(CultureInfo.InvariantCulture, $"| {phase} | {F(minutes, "F1")} |\n");
            }

            if (budget.Runs.Count > 0)
            {
                text.Append("\nWithin the runs (every repetition, variant and paced run):\n\n| part | min |\n|---|---:|\n");
                foreach (var (part, minutes) in budget.Runs)
                {
                    text.Append(CultureInfo.InvariantCulture, $"| {part} | {F(minutes, "F1")} |\n");
                }
            }
        }

        text.Append("\nColumns: results/min counts every acked result from the contender's start (process launch) to its last ack — for crop runs, to the last crop stored; first → last ack excludes start-up, as the first benchmark did. Task p50/p95: Celery's own `succeeded in` times from the worker log. DB queries: pgbouncer's query counter, read before and after the run (not in the timed path). Memory: proportional set size (shared pages divided among the processes sharing them), summed over the contender's processes at the peak sample, and the largest single process. Host CPU: every core's busy time during the run, divided per 1,000 results. Errors: results never acked, +TERM/+NAK acks and failed invariant checks (`verify`: rows, counts, job progress and job log), summed over runs. Exception classes: distinct names in the contender's log that no prefork-16 run logged.\n");
        return text.ToString();
    }

    private static string Value(Estimate e) =>
        e.N == 0 ? "–" : e.N == 1 ? F(e.Mean) : $"{F(e.Mean)} [{F(e.Low)}–{F(e.High)}]";

    private static string Ratio(Estimate e) =>
        e.N == 0 ? "–" : $"{F(e.Mean, e.Mean >= 10 ? "F0" : "F2")}× [{F(e.Low, e.Low >= 10 ? "F0" : "F2")}–{(double.IsFinite(e.High) ? F(e.High, e.High >= 10 ? "F0" : "F2") : "∞")}]";
}
