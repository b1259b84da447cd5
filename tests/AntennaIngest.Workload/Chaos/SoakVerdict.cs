using System.Globalization;

namespace AntennaIngest.Workload.Chaos;

/// <summary>
/// The soak's rules over its minute samples. Minutes 1-5 are warm-up (heaps, pools and the
/// result backend's expiring keys reach their steady size); the minutes after them are judged.
/// "No growth" compares two windows of the judged minutes: the first ten (minutes 6-15) and the
/// last ten. In a run shorter than 25 minutes the windows overlap (in a 6-minute run both are
/// minute 6), so those checks only catch what grows within the run's few minutes; the 60-minute
/// run compares minutes 6-15 with 51-60.
/// </summary>
public static class SoakVerdict
{
    public const int WarmUpMinutes = 5;
    private const int WindowMinutes = 10;

    public static IReadOnlyList<SoakCheck> Judge(IReadOnlyList<SoakSample> samples, double offeredPerSecond)
    {
        var judged = samples.Where(s => s.Minute > WarmUpMinutes).ToList();
        if (judged.Count == 0)
        {
            return [new SoakCheck("minutes judged", false, $"at least one minute after the {WarmUpMinutes} of warm-up", $"{samples.Count} minutes sampled")];
        }

        var first = judged.Take(WindowMinutes).ToList();
        var last = judged.TakeLast(WindowMinutes).ToList();
        var windows = $"minutes {Span(first)} vs {Span(last)}";
        return
        [
            Offered(judged, offeredPerSecond),
            Throughput(judged),
            Latency(judged, first, last, windows),
            Memory(samples),
            Growth("Redis job-state keys", judged, first, last, windows, s => s.JobStateKeys, 0.10, 10, "DBSIZE of the job-state database (REDIS_URL); slack: the 5 keys of 2 jobs"),
            Growth("Redis result-backend keys", judged, first, last, windows, s => s.ResultKeys, 0.10, 10, "DBSIZE of the result-backend database (results expire after 120 s in the soak)"),
            JobsFinish(judged, first, last, windows),
            Growth("binary connections", judged, first, last, windows, s => s.BinaryConnections, 0.10, 1, "the binary's TCP connections to every service"),
        ];
    }

    // The harness itself must reach the rate, or the run says nothing about the binary at 50 %.
    private static SoakCheck Offered(List<SoakSample> judged, double target)
    {
        var median = Median(judged.Select(s => s.OfferedPerSecond));
        return new SoakCheck("rate offered", Math.Abs((median / target) - 1) <= 0.05, "the harness offered the target rate: the judged minutes' median offered/s within ±5 % of it (else the harness, not the binary, fell short)", Invariant(
            $"median {median:F1}/s offered of {target:F1}/s ({(median / target) - 1:+0.0%;-0.0%}); minutes {judged.Min(s => s.OfferedPerSecond):F1}–{judged.Max(s => s.OfferedPerSecond):F1}/s"));
    }

    // Every judged minute within ±15 % of the judged minutes' median, and that median within ±5 % of the median offered (the binary keeps up, no queue grows).
    private static SoakCheck Throughput(List<SoakSample> judged)
    {
        var median = Median(judged.Select(s => s.AckedPerSecond));
        var offered = Median(judged.Select(s => s.OfferedPerSecond));
        var outside = judged.Where(s => Math.Abs((s.AckedPerSecond / median) - 1) > 0.15).ToList();
        var ok = outside.Count == 0 && Math.Abs((median / offered) - 1) <= 0.05;
        return new SoakCheck("results/s steady", ok, "every minute after the warm-up within ±15 % of their median, the median within ±5 % of the median offered (the binary keeps up)", Invariant(
            $"median {median:F1}/s acked vs {offered:F1}/s offered ({(median / offered) - 1:+0.0%;-0.0%}); minutes {judged.Min(s => s.AckedPerSecond):F1}–{judged.Max(s => s.AckedPerSecond):F1}/s; outside ±15 %: {Minutes(outside)}"));
    }

    // No minute's p99 above twice the median minute's (plus 10 ms, for p99s of a few ms), and the last window's mean at most 25 % (plus 10 ms) above the first's.
    private static SoakCheck Latency(List<SoakSample> judged, List<SoakSample> first, List<SoakSample> last, string windows)
    {
        var median = Median(judged.Select(s => s.P99Ms));
        var bound = (2 * median) + 10;
        var high = judged.Where(s => s.P99Ms > bound).ToList();
        var (before, after) = (first.Average(s => s.P99Ms), last.Average(s => s.P99Ms));
        var ok = high.Count == 0 && after <= (before * 1.25) + 10;
        return new SoakCheck("p99 steady", ok, "no minute's p99 above 2 × the median minute's + 10 ms; last window's mean ≤ 1.25 × the first's + 10 ms", Invariant(
            $"median p99 {median:F0} ms, minutes {judged.Min(s => s.P99Ms):F0}–{judged.Max(s => s.P99Ms):F0} ms (bound {bound:F0}), above: {Minutes(high)}; {windows}: {before:F0} → {after:F0} ms"));
    }

    // The rule as written: RSS of every minute from the end of the warm-up on within ±10 % of minute 5's.
    private static SoakCheck Memory(IReadOnlyList<SoakSample> samples)
    {
        var reference = samples.FirstOrDefault(s => s.Minute == WarmUpMinutes);
        var after = samples.Where(s => s.Minute >= WarmUpMinutes).ToList();
        if (reference is null || reference.RssMb <= 0)
        {
            return new SoakCheck("RSS flat", false, "every minute from minute 5 within ±10 % of minute 5's RSS", "no RSS sample at minute 5");
        }

        var (low, high) = (after.Min(s => s.RssMb), after.Max(s => s.RssMb));
        var ok = low >= reference.RssMb * 0.9 && high <= reference.RssMb * 1.1;
        return new SoakCheck("RSS flat", ok, "every minute from minute 5 within ±10 % of minute 5's RSS", Invariant(
            $"minute 5: {reference.RssMb:F0} MB; minutes {Span(after)}: {low:F0}–{high:F0} MB ({(low / reference.RssMb) - 1:+0.0%;-0.0%} / {(high / reference.RssMb) - 1:+0.0%;-0.0%})"));
    }

    // Jobs start and finish throughout (so job-state keys are made and deleted): at least one finished in every judged minute, and the open ones do not pile up.
    private static SoakCheck JobsFinish(List<SoakSample> judged, List<SoakSample> first, List<SoakSample> last, string windows)
    {
        var idle = judged.Where(s => s.JobsFinished == 0).ToList();
        var (before, after) = (first.Average(s => s.JobsOpen), last.Average(s => s.JobsOpen));
        var ok = idle.Count == 0 && after <= before + 2;
        return new SoakCheck("jobs finish", ok, "at least one job finished in every minute after the warm-up; open jobs: last window's mean ≤ the first's + 2", Invariant(
            $"{judged.Sum(s => s.JobsFinished)} jobs finished after the warm-up ({judged.Min(s => s.JobsFinished)}–{judged.Max(s => s.JobsFinished)} a minute), minutes without: {Minutes(idle)}; open jobs, {windows}: {before:F1} → {after:F1}"));
    }

    private static SoakCheck Growth(string name, List<SoakSample> judged, List<SoakSample> first, List<SoakSample> last, string windows, Func<SoakSample, double> value, double share, double slack, string what)
    {
        var (before, after) = (first.Average(value), last.Average(value));
        var bound = (before * (1 + share)) + slack;
        return new SoakCheck(name, after <= bound, Invariant($"{what}: last window's mean ≤ the first's × {1 + share:F2} + {slack:F0}"), Invariant(
            $"{windows}: {before:F1} → {after:F1} (bound {bound:F1}); all judged minutes {judged.Min(value):F0}–{judged.Max(value):F0}"));
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? 0 : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string Span(List<SoakSample> samples) =>
        samples.Count == 1 ? Invariant($"{samples[0].Minute}") : Invariant($"{samples[0].Minute}–{samples[^1].Minute}");

    private static string Minutes(List<SoakSample> samples) => samples.Count == 0 ? "none" : string.Join(", ", samples.Select(s => s.Minute.ToString(CultureInfo.InvariantCulture)));

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>One rule of the soak: its name, whether it held, the rule and the numbers it was judged on.</summary>
public sealed record SoakCheck(string Name, bool Ok, string Rule, string Detail);
