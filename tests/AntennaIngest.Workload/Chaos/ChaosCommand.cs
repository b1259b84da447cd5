using System.Globalization;
using System.Text;
using System.Text.Json;
using AntennaIngest.Testing;
using AntennaIngest.Workload.Cli;
using AntennaIngest.Workload.Setup;

namespace AntennaIngest.Workload.Chaos;

/// <summary>
/// `chaos`: the fault-injection suite. Runs the selected scenarios against the native binary,
/// prints the table (scenario, runs, results, lost, duplicated, stuck, max recovery time) and
/// writes it as Markdown and JSON. Exit 1 when any scenario lost, duplicated or stranded a result
/// or failed its own checks.
/// </summary>
public static class ChaosCommand
{
    public const string Usage =
        """
        chaos --binary PATH --out DIR [--quick] [--scenarios a,b] [--kills-per-point N] [--images N] [--memory-rounds N] [--seed 1] [--keep]
                [--soak MINUTES [--soak-load 0.5] [--soak-max-results 6000] [--soak-images-per-job 300] [--soak-jobs-per-round 2]] (the soak alone)
        """;

    public static async Task<int> RunAsync(Options options)
    {
        var quick = options.Flag("quick");
        var outDir = Path.GetFullPath(options.Required("out"));
        var root = options.Get("root", Directory.GetCurrentDirectory());
        var soak = SoakOptions(options);
        var settings = new ChaosSettings(
            outDir,
            Path.GetFullPath(options.Required("binary")),
            options.Number("seed", 1),
            // The soak runs the benchmark's payload mix: its species classifier has 3,000 labels.
            options.Number("species-labels", soak is null ? 300 : 3000),
            string.Empty,
            Path.Combine(outDir, "images"),
            Path.Combine(root, "scripts", "services.sh"),
            quick,
            options.Flag("keep"),
            options.Number("kills-per-point", quick ? 2 : 20),
            options.Number("images", quick ? 24 : 60));
        var memoryRounds = options.Number("memory-rounds", quick ? 1 : 5);
        var selected = options.Get("scenarios")?.Split(',', StringSplitOptions.RemoveEmptyEntries);
        options.EnsureAllRead();
        Directory.CreateDirectory(outDir);

        ImagePool.Ensure(settings.ImagesDir, settings.Seed);
        var port = LoopbackPorts.Free();
        await using var images = new ImageServer(settings.ImagesDir, port);
        settings = settings with { ImageBaseUrl = $"http://127.0.0.1:{port}/" };

        var scenarios = new List<(string Name, Func<Task<ScenarioResult>> Run)>();
        foreach (var point in Scenarios.KillPoints)
        {
            scenarios.Add(($"kill9-{point}", () => Scenarios.KillAtAsync(settings, point, settings.KillsPerPoint)));
        }

        foreach (var service in new[] { "postgres", "pgbouncer", "redis", "nats", "rabbitmq" })
        {
            scenarios.Add(($"restart-{service}", () => Scenarios.RestartAsync(settings, service)));
        }

        scenarios.Add(("scale-out-kill9", () => ScaleOutScenarios.Kill9Async(settings, quick ? 6 : 30)));
        scenarios.Add(("scale-out-rolling-restart", () => ScaleOutScenarios.RollingRestartAsync(settings)));
        scenarios.Add(("scale-out-pool-pressure", () => ScaleOutScenarios.PoolPressureAsync(settings)));
        foreach (var service in PartitionScenarios.Services)
        {
            scenarios.Add(($"net-latency-{service}", () => PartitionScenarios.LatencyAsync(settings, service)));
            scenarios.Add(($"net-partition-{service}", () => PartitionScenarios.PartitionAsync(settings, service)));
        }

        scenarios.Add(("disk-full", () => CropStoreScenarios.DiskFullAsync(settings)));
        scenarios.Add(("s3-faults", () => CropStoreScenarios.S3FaultsAsync(settings)));
        scenarios.Add(("tls", () => TlsScenario.RunAsync(settings)));
        scenarios.Add(("pool-exhausted", () => Scenarios.PoolExhaustedAsync(settings)));
        scenarios.Add(("hot-row-lock", () => Scenarios.HotRowLockAsync(settings)));
        scenarios.Add(("redis-flushdb", () => Scenarios.FlushDbAsync(settings)));
        scenarios.Add(("poison", () => Scenarios.PoisonAsync(settings)));
        scenarios.Add(("sigterm", () => Scenarios.SigtermAsync(settings)));
        scenarios.Add(("stall", () => Scenarios.StallAsync(settings)));
        scenarios.Add(("memory", () => Scenarios.MemoryAsync(settings, quick ? 200 : 1000, memoryRounds)));

        var quickSet = new[] { "kill9-after_decode", "kill9-in_transaction", "kill9-after_commit", "kill9-after_redis", "kill9-during_crops", "restart-postgres", "restart-rabbitmq", "redis-flushdb", "poison", "sigterm", "stall", "scale-out-kill9", "net-partition-nats", "tls" };
        var toRun = scenarios.Where(s => selected is not null ? selected.Contains(s.Name) : !quick || quickSet.Contains(s.Name)).ToList();
        if (soak is not null)
        {
            // Never part of a suite: an hour of one scenario runs only when asked for.
            toRun = [("soak", () => SoakScenario.RunAsync(settings, soak))];
        }

        var results = new List<ScenarioResult>();
        foreach (var (name, run) in toRun)
        {
            Console.Error.WriteLine($"chaos: {name} …");
            ScenarioResult result;
            try
            {
                result = await run();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                result = new ScenarioResult(name, 0, 0, 0, 0, 0, null, false, $"scenario failed to run: {e.GetType().Name}: {e.Message}");
            }

            results.Add(result);
            Console.Error.WriteLine($"chaos: {name}: {(result.Ok ? "ok" : "FAILED")} — {result.Notes}");
        }

        var table = Table(results);
        Console.WriteLine(table);
        await File.WriteAllTextAsync(Path.Combine(outDir, "chaos.md"), table);
        await File.WriteAllBytesAsync(Path.Combine(outDir, "chaos.json"), JsonSerializer.SerializeToUtf8Bytes(results, ChaosJson.Default.ListScenarioResult));
        return results.All(r => r.Ok) ? 0 : 1;
    }

    private static SoakSettings? SoakOptions(Options options)
    {
        if (options.Get("soak") is not { } minutes)
        {
            return null;
        }

        var soak = new SoakSettings(
            int.Parse(minutes, CultureInfo.InvariantCulture),
            options.Fraction("soak-load", 0.5),
            options.Number("soak-max-results", 6000),
            options.Number("soak-images-per-job", 300),
            options.Number("soak-jobs-per-round", 2));
        if (soak.Minutes <= SoakVerdict.WarmUpMinutes)
        {
            throw new UsageException($"--soak needs more than {SoakVerdict.WarmUpMinutes} minutes: the first {SoakVerdict.WarmUpMinutes} are warm-up, the rules judge the minutes after them");
        }

        return soak;
    }

    private static string Table(List<ScenarioResult> results)
    {
        var builder = new StringBuilder();
        builder.AppendLine("| scenario | runs | results | lost | duplicated | stuck | max recovery (s) | ok | notes |");
        builder.AppendLine("|---|---:|---:|---:|---:|---:|---:|---|---|");
        foreach (var r in results)
        {
            builder.AppendLine(CultureInfo.InvariantCulture, $"| {r.Scenario} | {r.Runs} | {r.Results} | {r.Lost} | {r.Duplicated} | {r.Stuck} | {(r.MaxRecoverySeconds is { } s ? s.ToString("F1", CultureInfo.InvariantCulture) : "–")} | {(r.Ok ? "yes" : "**NO**")} | {r.Notes.Replace('|', '/')} |");
        }

        builder.AppendLine(CultureInfo.InvariantCulture, $"\nkills at code points: {results.Where(r => r.Scenario.StartsWith("kill9-", StringComparison.Ordinal)).Sum(r => r.Runs)}; scenarios ok: {results.Count(r => r.Ok)}/{results.Count}");
        return builder.ToString();
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(List<ScenarioResult>))]
[System.Text.Json.Serialization.JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.SnakeCaseLower)]
internal sealed partial class ChaosJson : System.Text.Json.Serialization.JsonSerializerContext;
