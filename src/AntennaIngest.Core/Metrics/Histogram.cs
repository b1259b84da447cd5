using System.Collections.Concurrent;
using System.Text;

namespace AntennaIngest.Core.Metrics;

/// <summary>Observations counted into fixed cumulative buckets, per label set.</summary>
public sealed class Histogram : IMetric
{
    /// <summary>Seconds, from 1 ms to 2 min: covers a Redis call up to a stuck result.</summary>
    public static readonly double[] LatencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

    private readonly string _help;
    private readonly double[] _buckets;
    private readonly string[] _labelNames;
    private readonly ConcurrentDictionary<string, Series> _series = new(StringComparer.Ordinal);

    internal Histogram(string name, string help, double[] buckets, string[] labelNames)
    {
        Name = name;
        _help = help;
        _buckets = buckets;
        _labelNames = labelNames;
    }

    public string Name { get; }

    public void Observe(double value, params string[] labelValues)
    {
        var series = _series.GetOrAdd(MetricsRegistry.LabelKey(_labelNames, labelValues), _ => new Series(_buckets.Length));
        var index = Array.BinarySearch(_buckets, value);
        if (index < 0)
        {
            index = ~index;
        }

        Interlocked.Increment(ref series.Counts[index]);
        Interlocked.Increment(ref series.Count);
        double seen, next;
        do
        {
            seen = Volatile.Read(ref series.Sum);
            next = seen + value;
        }
        while (Interlocked.CompareExchange(ref series.Sum, next, seen) != seen);
    }

    public long Count(params string[] labelValues) =>
        _series.TryGetValue(MetricsRegistry.LabelKey(_labelNames, labelValues), out var series) ? Interlocked.Read(ref series.Count) : 0;

    public void Render(StringBuilder builder)
    {
        builder.Append("# HELP ").Append(Name).Append(' ').Append(_help).Append('\n');
        builder.Append("# TYPE ").Append(Name).Append(" histogram\n");
        foreach (var (labels, series) in _series.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            var prefix = labels.Length > 0 ? labels + "," : string.Empty;
            long cumulative = 0;
            for (var i = 0; i <= _buckets.Length; i++)
            {
                cumulative += Interlocked.Read(ref series.Counts[i]);
                var bound = i < _buckets.Length ? MetricsRegistry.FormatValue(_buckets[i]) : "+Inf";
                builder.Append(Name).Append("_bucket{").Append(prefix).Append("le=\"").Append(bound).Append("\"} ").Append(cumulative).Append('\n');
            }

            var suffix = labels.Length > 0 ? "{" + labels + "}" : string.Empty;
            builder.Append(Name).Append("_sum").Append(suffix).Append(' ').Append(MetricsRegistry.FormatValue(Volatile.Read(ref series.Sum))).Append('\n');
            builder.Append(Name).Append("_count").Append(suffix).Append(' ').Append(Interlocked.Read(ref series.Count)).Append('\n');
        }
    }

    private sealed class Series(int buckets)
    {
        public readonly long[] Counts = new long[buckets + 1];
        public long Count;
        public double Sum;
    }
}
