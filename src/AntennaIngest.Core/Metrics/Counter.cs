using System.Collections.Concurrent;
using System.Text;

namespace AntennaIngest.Core.Metrics;

/// <summary>A monotonically increasing count per label set.</summary>
public sealed class Counter : IMetric
{
    private readonly string _help;
    private readonly string[] _labelNames;
    private readonly ConcurrentDictionary<string, Cell> _cells = new(StringComparer.Ordinal);

    internal Counter(string name, string help, string[] labelNames)
    {
        Name = name;
        _help = help;
        _labelNames = labelNames;
    }

    public string Name { get; }

    public void Increment(params string[] labelValues) => Add(1, labelValues);

    public void Add(long amount, params string[] labelValues) =>
        Interlocked.Add(ref _cells.GetOrAdd(MetricsRegistry.LabelKey(_labelNames, labelValues), _ => new Cell()).Value, amount);

    public long Value(params string[] labelValues) =>
        _cells.TryGetValue(MetricsRegistry.LabelKey(_labelNames, labelValues), out var cell) ? Interlocked.Read(ref cell.Value) : 0;

    public void Render(StringBuilder builder)
    {
        builder.Append("# HELP ").Append(Name).Append(' ').Append(_help).Append('\n');
        builder.Append("# TYPE ").Append(Name).Append(" counter\n");
        foreach (var (labels, cell) in _cells.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            builder.Append(Name);
            if (labels.Length > 0)
            {
                builder.Append('{').Append(labels).Append('}');
            }

            builder.Append(' ').Append(Interlocked.Read(ref cell.Value)).Append('\n');
        }
    }

    private sealed class Cell
    {
        public long Value;
    }
}
