using System.Text.Json.Nodes;
using AntennaIngest.Workload.Summary;

namespace AntennaIngest.UnitTests.Workload;

public sealed class MatrixSummaryTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"matrix-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public void A_mean_gets_the_student_t_interval_of_its_repetitions()
    {
        var e = Estimate.Of([10, 12, 14]);

        Assert.Equal(12, e.Mean, 9);
        Assert.Equal(2, e.StandardDeviation, 9);
        Assert.Equal(12 - (4.303 * 2 / Math.Sqrt(3)), e.Low, 9);
        Assert.Equal(12 + (4.303 * 2 / Math.Sqrt(3)), e.High, 9);
        Assert.Equal(1.96, Estimate.TQuantile975(200));
    }

    [Fact]
    public void A_ratio_interval_divides_opposite_ends()
    {
        var ratio = Estimate.Of([90, 100, 110]).RatioTo(Estimate.Of([9, 10, 11]));

        Assert.Equal(10, ratio.Mean, 9);
        Assert.True(ratio.Low < 10 && ratio.High > 10);
        Assert.Equal(Estimate.Of([90, 100, 110]).Low / Estimate.Of([9, 10, 11]).High, ratio.Low, 9);
    }

    [Fact]
    public async Task Summarize_groups_runs_by_contender_and_delay_and_counts_from_contender_start()
    {
        // Two contenders, one delay, two repetitions each; results/min from start = acked / (startup + window).
        Run(1, "antenna-prefork-16", 0.5, 1, acked: 100, startup: 10, window: 50);
        Run(2, "antenna-ingest", 0.5, 1, acked: 1000, startup: 1, window: 5);
        Run(3, "antenna-ingest", 0.5, 2, acked: 1000, startup: 1, window: 5);
        Run(4, "antenna-prefork-16", 0.5, 2, acked: 100, startup: 10, window: 50, exception: "psycopg.OperationalError");

        var code = await SummarizeCommand.RunAsync(new AntennaIngest.Workload.Cli.Options(["--dir", _dir]));

        Assert.Equal(0, code);
        var summary = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(_dir, "summary.json")))!;
        var backlog = summary["backlog"]!.AsArray();
        var ingest = backlog.Single(c => (string?)c!["contender"] == "antenna-ingest")!;
        var prefork = backlog.Single(c => (string?)c!["contender"] == "antenna-prefork-16")!;
        Assert.Equal(10_000, (double)ingest["results_per_minute"]!["mean"]!, 3);
        Assert.Equal(100, (double)prefork["results_per_minute"]!["mean"]!, 3);
        Assert.Equal(100, (double)ingest["results_per_minute_vs_baseline"]!["mean"]!, 3);
        Assert.Equal(2, (int)ingest["runs_ok"]!);
        Assert.Equal("psycopg.OperationalError", (string?)prefork["exception_types"]![0]);
        Assert.Empty(ingest["new_exception_types_vs_baseline"]!.AsArray());
        Assert.Equal(4, summary["order"]!.AsArray().Count);
        Assert.True(File.Exists(Path.Combine(_dir, "throughput-vs-delay.svg")));
    }

    [Fact]
    public async Task The_matrix_duration_runs_from_the_first_start_to_the_last_end_and_variants_are_named_by_their_repetitions()
    {
        Run(1, "antenna-prefork-16", 0.5, 1, acked: 100, startup: 10, window: 50, startedAt: "2026-12-03T06:00:00Z", wall: 70);
        Run(2, "antenna-prefork-16", 0.5, 2, acked: 100, startup: 10, window: 50, startedAt: "2026-12-03T06:02:00Z", wall: 70);
        Run(3, "antenna-gevent-200-pool200", 0.5, 1, acked: 100, startup: 10, window: 50, startedAt: "2026-12-03T06:04:00Z", wall: 90);

        await SummarizeCommand.RunAsync(new AntennaIngest.Workload.Cli.Options(["--dir", _dir]));

        var summary = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(_dir, "summary.json")))!;
        Assert.Equal(5.5, (double)summary["matrix_minutes"]!, 3); // 06:00:00 → 06:04:00 + 90 s
        Assert.Equal(2, (int)summary["repetitions"]!);
        Assert.Equal(1, (int)summary["fewest_repetitions"]!);
        var section = ReadmeSection.Render(summary, "results/x");
        Assert.Contains("2 repetitions per cell in alternating order (1 for the variants: the rows without an interval)", section, StringComparison.Ordinal);
        Assert.Contains("the runs took 6 min", section, StringComparison.Ordinal);
        Assert.Contains("| antenna-prefork-16 | 100 [100–100] | 1.00× (baseline) |", section, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Runs_without_a_start_time_give_no_duration()
    {
        Run(1, "antenna-prefork-16", 0.5, 1, acked: 100, startup: 10, window: 50);

        await SummarizeCommand.RunAsync(new AntennaIngest.Workload.Cli.Options(["--dir", _dir]));

        var summary = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(_dir, "summary.json")))!;
        Assert.Null(summary["matrix_minutes"]);
        Assert.DoesNotContain("the runs took", ReadmeSection.Render(summary, "results/x"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_time_budget_adds_the_scripts_phases_and_the_harness_around_each_run()
    {
        Run(1, "antenna-prefork-16", 0.5, 1, acked: 100, startup: 10, window: 50, startedAt: "2026-12-03T06:00:00Z", wall: 60);
        Run(2, "antenna-ingest", 0.5, 1, acked: 100, startup: 1, window: 50, startedAt: "2026-12-03T06:02:00Z", wall: 60);
        foreach (var (run, contender, enqueue) in new[] { ("001-antenna-prefork-16", "antenna-prefork-16", 1.0), ("002-antenna-ingest", "antenna-ingest", 17.0) })
        {
            var dir = Path.Combine(_dir, "runs", run);
            var result = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, $"{contender}.json")))!;
            result["harness"] = new JsonObject { ["enqueue"] = enqueue, ["network"] = 0.5, ["stop"] = 2, ["verify"] = 1.5 };
            File.WriteAllText(Path.Combine(dir, $"{contender}.json"), result.ToJsonString());
            File.WriteAllText(Path.Combine(dir, "harness.json"), """{"setup_s":3,"cleanup_s":1}""");
        }

        File.WriteAllText(Path.Combine(_dir, "phases.tsv"), "start: services\t1000.0\nmain matrix\t1060.0\nCOPY ceiling\t1300.0\nsummary\t1420.0\n");

        await SummarizeCommand.RunAsync(new AntennaIngest.Workload.Cli.Options(["--dir", _dir]));

        var summary = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(_dir, "summary.json")))!;
        var budget = summary["time_budget"]!;
        Assert.Equal(7.0, (double)budget["total_minutes"]!, 3);
        Assert.Equal(4.0, (double)budget["phases_minutes"]!["main matrix"]!, 3);
        Assert.Equal(2.0, (double)budget["runs_minutes"]!["contenders running (start → stop)"]!, 3);
        Assert.Equal(0.3, (double)budget["runs_minutes"]!["enqueue of backlogs"]!, 3);
        Assert.Equal(0.1, (double)budget["runs_minutes"]!["set-up (database, Redis, job streams)"]!, 3);
        Assert.Contains("the whole script took 7.0 min", ReadmeSection.Render(summary, "results/x"), StringComparison.Ordinal);
        Assert.Contains("The script took **7.0 min**", await File.ReadAllTextAsync(Path.Combine(_dir, "summary.md")), StringComparison.Ordinal);
    }

    private void Run(int sequence, string contender, double delay, int repetition, int acked, double startup, double window, string? exception = null, string? startedAt = null, double wall = 0)
    {
        var dir = Path.Combine(_dir, "runs", $"{sequence:D3}-{contender}");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "run.json"), new JsonObject
        {
            ["contender"] = contender,
            ["delay_ms"] = delay,
            ["repetition"] = repetition,
            ["sequence"] = sequence,
            ["mode"] = "backlog",
            ["started_at"] = startedAt,
        }.ToJsonString());
        File.WriteAllText(Path.Combine(dir, $"{contender}.json"), new JsonObject
        {
            ["contender"] = contender,
            ["status"] = "ok",
            ["results"] = acked,
            ["acked"] = acked,
            ["startup_seconds"] = startup,
            ["window_seconds"] = window,
            ["wall_seconds"] = wall,
            ["results_per_minute"] = (acked - 1) / window * 60,
            ["latency_ms"] = new JsonObject { ["p50"] = 1, ["p95"] = 2, ["p99"] = 3 },
        }.ToJsonString());
        File.WriteAllText(Path.Combine(dir, $"{contender}.log"), exception is null ? "fine\n" : $"Traceback …\n{exception}: server closed the connection\n");
    }
}
