namespace AntennaIngest.Workload.Summary;

/// <summary>
/// The repetitions of one contender at one added delay and one load (a backlog, or results paced
/// at an offered rate). Estimates use only the runs that ended "ok"; the others are listed.
/// </summary>
public sealed record Cell(string Contender, double DelayMs, string Mode, string Load, IReadOnlyList<RunRecord> Runs)
{
    public IReadOnlyList<RunRecord> Ok => [.. Runs.Where(r => r.Status == "ok")];

    public Estimate Of(Func<RunRecord, double> metric) => Estimate.Of([.. Ok.Select(metric)]);

    public Estimate PerMinute => Of(r => r.PerMinuteFromStart);

    public Estimate TaskSecondsP50 => Estimate.Of([.. Ok.Where(r => r.TaskSeconds.Count > 0).Select(r => Quantile(r.TaskSeconds, 0.50))]);

    public Estimate TaskSecondsP95 => Estimate.Of([.. Ok.Where(r => r.TaskSeconds.Count > 0).Select(r => Quantile(r.TaskSeconds, 0.95))]);

    public int Problems => Runs.Sum(r => r.Problems);

    public string NotOk => string.Join(", ", Runs.Where(r => r.Status != "ok").Select(r => $"r{r.Repetition} {r.Status}"));

    public IReadOnlySet<string> ExceptionTypes => Runs.SelectMany(r => r.ExceptionTypes).ToHashSet(StringComparer.Ordinal);

    public string Key => $"{Contender}|{DelayMs}|{Mode}|{Load}";

    public static IReadOnlyList<Cell> Group(IEnumerable<RunRecord> runs) =>
        [.. runs.GroupBy(r => (r.Contender, r.DelayMs, r.Mode, r.Load))
            .Select(g => new Cell(g.Key.Contender, g.Key.DelayMs, g.Key.Mode, g.Key.Load, [.. g.OrderBy(r => r.Repetition)]))];

    public static double Quantile(IReadOnlyList<double> values, double q)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
    }
}
