using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AntennaIngest.Workload.Chaos;

/// <summary>The soak's outcome: how the maximum was measured, the rate offered, where the time went, every minute and every rule. Written as soak.md and soak.json.</summary>
public sealed record SoakReport(
    SoakSettings Settings,
    double MaximumPerSecond,
    int MaximumResults,
    double MaximumWindowSeconds,
    double OfferedPerSecond,
    long SlotsDropped,
    int Rounds,
    double SetupSeconds,
    double BacklogEnqueueSeconds,
    double MaximumRunSeconds,
    double RoundSetupSeconds,
    IReadOnlyList<SoakSample> Samples,
    IReadOnlyList<SoakCheck> Checks,
    ScenarioResult Row)
{
    private static readonly string[] s_services = ["pgbouncer", "redis", "nats", "rabbitmq", "other"];

    public static async Task WriteAsync(SoakReport report, string directory)
    {
        var markdown = report.Markdown();
        Console.WriteLine(markdown);
        await File.WriteAllTextAsync(Path.Combine(directory, "soak.md"), markdown);
        await File.WriteAllBytesAsync(Path.Combine(directory, "soak.json"), JsonSerializer.SerializeToUtf8Bytes(report, SoakJson.Default.SoakReport));
    }

    public string Markdown()
    {
        var md = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        md.AppendLine(c, $"Soak: {Settings.Minutes} minutes, one instance at {OfferedPerSecond:F1} results/s ({Settings.Load:P0} of its maximum of {MaximumPerSecond:F1}/s),");
        md.AppendLine(c, $"the benchmark's payload mix, rolling jobs of {Settings.ImagesPerJob} images, {Settings.JobsPerRound} at a time ({Rounds} rounds).");
        md.AppendLine(c, $"Maximum: a backlog of {MaximumResults} results drained by a process of its own, {MaximumWindowSeconds:F1} s from first to last ack.");
        md.AppendLine(c, $"The harness was more than 1 s behind its schedule for {SlotsDropped} results (dropped from the schedule rather than sent in a burst).");
        md.AppendLine(c, $"Harness time: setup {SetupSeconds:F0} s (database and the backlog's jobs), backlog enqueue {BacklogEnqueueSeconds:F0} s, maximum run {MaximumRunSeconds:F0} s; each later round's jobs took {RoundSetupSeconds:F1} s to set up (while the round before ran).");
        md.AppendLine();
        md.AppendLine("| minute | offered/s | acked/s | p50 (ms) | p99 (ms) | RSS (MB) | CPU (cores) | job-state keys | result keys | jobs finished | jobs open | queue | binary TCP (pgbouncer/redis/nats/rabbitmq/other) | not established | PostgreSQL backends | pgbouncer clients |");
        md.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|");
        foreach (var s in Samples)
        {
            var sockets = string.Join('/', s_services.Select(name => s.Connections.GetValueOrDefault(name).ToString(c)));
            md.AppendLine(c, $"| {s.Minute} | {s.OfferedPerSecond:F1} | {s.AckedPerSecond:F1} | {s.P50Ms:F0} | {s.P99Ms:F0} | {s.RssMb:F0} | {s.CpuCores:F2} | {s.JobStateKeys} | {s.ResultKeys} | {s.JobsFinished} | {s.JobsOpen} | {s.QueueDepth} | {s.BinaryConnections} ({sockets}) | {s.ConnectionsNotEstablished} | {s.PostgresBackends} | {s.PgbouncerClients} |");
        }

        md.AppendLine();
        md.AppendLine("| check | ok | rule | numbers |");
        md.AppendLine("|---|---|---|---|");
        foreach (var check in Checks)
        {
            md.AppendLine(c, $"| {check.Name} | {(check.Ok ? "yes" : "**NO**")} | {check.Rule} | {check.Detail} |");
        }

        md.AppendLine(c, $"| nothing lost, duplicated or stuck | {(Row.Lost == 0 && Row.Duplicated == 0 && Row.Stuck == 0 ? "yes" : "**NO**")} | the chaos tally over every result (maximum run and soak) | {Row.Results} results: {Row.Lost} lost, {Row.Duplicated} duplicated, {Row.Stuck} stuck |");
        md.AppendLine();
        md.AppendLine(c, $"Overall: {(Row.Ok ? "ok" : "**FAILED**")} — {Row.Notes}");
        return md.ToString();
    }
}

[JsonSerializable(typeof(SoakReport))]
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
internal sealed partial class SoakJson : JsonSerializerContext
{
    /// <summary>One sample a line (samples.jsonl).</summary>
    public static SoakJson Line { get; } = new(new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower });
}
