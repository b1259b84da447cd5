using System.Collections.Concurrent;
using System.Text;

namespace AntennaIngest.Core.Metrics;

/// <summary>A value that goes up and down, set directly or read from a callback at scrape time.</summary>
public sealed class Gauge : IMetric
{
    private readonly string _help;
    private readonly string[] _labelNames;
    private readonly ConcurrentDictionary<string, Cell> _cells = new(StringComparer.Ordinal);

    internal Gauge(string name, string help, string[] labelNames)
    {
        Name = name;
        _help = help;
        _labelNames = labelNames;
    }

    public string Name { get; }

    public void Set(double value, params string[] labelValues) => GetCell(labelValues).Set(value);

    public void Add(double delta, params string[] labelValues) => GetCell(labelValues).Add(delta);

    /// <summary>Reads the value from <paramref name="read"/> at every scrape.</summary>
    public void Observe(Func<double> read, params string[] labelValues) => GetCell(labelValues).Read = read;

    public double Value(params string[] labelValues) => GetCell(labelValues).Current;

    public void Render(StringBuilder builder)
    {
        builder.Append("# HELP ").Append(Name).Append(' ').Append(_help).Append('\n');
        builder.Append("# TYPE ").Append(Name).Append(" gauge\n");
        foreach (var (labels, cell) in _cells.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            builder.Append(Name);
            if (labels.Length > 0)
            {
                builder.Append('{').Append(labels).Append('}');
            }

            builder.Append(' ').Append(MetricsRegistry.FormatValue(cell.Current)).Append('\n');
        }
    }

    private Cell GetCell(string[] labelValues) =>
        _cells.GetOrAdd(MetricsRegistry.LabelKey(_labelNames, labelValues), _ => new Cell());

    private sealed class Cell
    {
        private long _bits;

        public Func<double>? Read { get; set; }

        public double Current => Read?.Invoke() ?? BitConverter.Int64BitsToDouble(Interlocked.Read(ref _bits));

        public void Set(double value) => Interlocked.Exchange(ref _bits, BitConverter.DoubleToInt64Bits(value));

        public void Add(double delta)
        {
            long seen, next;
            do
            {
                seen = Interlocked.Read(ref _bits);
                next = BitConverter.DoubleToInt64Bits(BitConverter.Int64BitsToDouble(seen) + delta);
            }
            while (Interlocked.CompareExchange(ref _bits, next, seen) != seen);
        }
    }
}
