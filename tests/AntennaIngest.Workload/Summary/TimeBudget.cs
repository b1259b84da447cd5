using System.Globalization;
using System.Text.Json.Nodes;

namespace AntennaIngest.Workload.Summary;

/// <summary>
/// Where a benchmark's hour went: the script's phases (phases.tsv, one line per phase start, the
/// last one the summary), and within the runs the contenders' own time against the harness's
/// (set-up, enqueue, proxies, stop, invariant check, clean-up). The bound the benchmark is held
/// to is the script's whole time, so it is computed from the script's marks, not from the runs.
/// </summary>
public sealed record TimeBudget(IReadOnlyList<(string Phase, double Minutes)> Phases, IReadOnlyList<(string Part, double Minutes)> Runs)
{
    /// <summary>The script's start to the summary (null without phases.tsv: results recorded before it was written).</summary>
    public double? TotalMinutes => Phases.Count == 0 ? null : Phases.Sum(p => p.Minutes);

    public static TimeBudget Read(string directory, IReadOnlyList<RunRecord> runs)
    {
        var path = Path.Combine(directory, "phases.tsv");
        var marks = File.Exists(path)
            ? File.ReadLines(path).Select(l => l.Split('\t')).Where(f => f.Length == 2 && double.TryParse(f[1], CultureInfo.InvariantCulture, out _))
                .Select(f => (Name: f[0], At: double.Parse(f[1], CultureInfo.InvariantCulture))).ToList()
            : [];
        var phases = marks.Zip(marks.Skip(1), (a, b) => (a.Name, (b.At - a.At) / 60)).ToList();
        double Sum(Func<RunRecord, double> part) => runs.Sum(part) / 60;
        IReadOnlyList<(string, double)> parts = runs.Any(r => r.Harness is not null)
            ?
            [
                ("contenders running (start → stop)", Sum(r => r.WallSeconds)),
                ("set-up (database, Redis, job streams)", Sum(r => r.Harness?.Setup ?? 0)),
                ("enqueue of backlogs", Sum(r => r.Harness?.Enqueue ?? 0)),
                ("delaying proxies started", Sum(r => r.Harness?.Network ?? 0)),
                ("contenders stopped", Sum(r => r.Harness?.Stop ?? 0)),
                ("invariant checks", Sum(r => r.Harness?.Verify ?? 0)),
                ("clean-up", Sum(r => r.Harness?.Cleanup ?? 0)),
            ]
            : [];
        return new TimeBudget(phases, parts);
    }

    public JsonObject Json() => new()
    {
        ["total_minutes"] = TotalMinutes is { } total ? Math.Round(total, 2) : null,
        ["phases_minutes"] = new JsonObject(Phases.Select(p => KeyValuePair.Create(p.Phase, (JsonNode?)Math.Round(p.Minutes, 2)))),
        ["runs_minutes"] = new JsonObject(Runs.Select(p => KeyValuePair.Create(p.Part, (JsonNode?)Math.Round(p.Minutes, 2)))),
    };
}

/// <summary>The harness's seconds around one run: bench.sh's set-up and clean-up (harness.json) and measure's own phases.</summary>
public sealed record RunHarness(double Setup, double Enqueue, double Network, double Stop, double Verify, double Cleanup);
