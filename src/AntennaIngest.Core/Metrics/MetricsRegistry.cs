using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace AntennaIngest.Core.Metrics;

/// <summary>
/// A small Prometheus registry: counters, gauges and histograms with fixed label names, rendered
/// in the text exposition format. Lock-free on the hot path (Interlocked per series).
/// </summary>
public sealed class MetricsRegistry
{
    private readonly ConcurrentDictionary<string, IMetric> _metrics = new(StringComparer.Ordinal);

    public Counter Counter(string name, string help, params string[] labelNames) =>
        (Counter)_metrics.GetOrAdd(name, _ => new Counter(name, help, labelNames));

    public Gauge Gauge(string name, string help, params string[] labelNames) =>
        (Gauge)_metrics.GetOrAdd(name, _ => new Gauge(name, help, labelNames));

    public Histogram Histogram(string name, string help, double[] buckets, params string[] labelNames) =>
        (Histogram)_metrics.GetOrAdd(name, _ => new Histogram(name, help, buckets, labelNames));

    public string Render()
    {
        var builder = new StringBuilder(4096);
        foreach (var metric in _metrics.Values.OrderBy(m => m.Name, StringComparer.Ordinal))
        {
            metric.Render(builder);
        }

        return builder.ToString();
    }

    internal static string FormatValue(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf" : double.IsNegativeInfinity(value) ? "-Inf" : value.ToString("R", CultureInfo.InvariantCulture);

    internal static string LabelKey(string[] labelNames, string[] labelValues)
    {
        if (labelValues.Length != labelNames.Length)
        {
            throw new ArgumentException($"expected {labelNames.Length} label values, got {labelValues.Length}");
        }

        if (labelNames.Length == 0)
        {
            return string.Empty;
        }

        var builder = new StringBuilder();
        for (var i = 0; i < labelNames.Length; i++)
        {
            builder.Append(i == 0 ? string.Empty : ",").Append(labelNames[i]).Append("=\"")
                .Append(labelValues[i].Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal))
                .Append('"');
        }

        return builder.ToString();
    }
}

internal interface IMetric
{
    string Name { get; }

    void Render(StringBuilder builder);
}
