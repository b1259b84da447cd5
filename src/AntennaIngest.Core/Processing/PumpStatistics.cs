using System.Collections.Concurrent;
using System.Globalization;

namespace AntennaIngest.Core.Processing;

/// <summary>Counts of settled tasks by outcome, for the progress log line and the shutdown summary.</summary>
internal sealed class PumpStatistics
{
    private readonly ConcurrentDictionary<string, long> _outcomes = new(StringComparer.Ordinal);
    private long _settled;
    private long _handedBack;

    public long Settled => Interlocked.Read(ref _settled);

    public long HandedBack => Interlocked.Read(ref _handedBack);

    public void Count(string outcome)
    {
        _outcomes.AddOrUpdate(outcome, 1, (_, n) => n + 1);
        Interlocked.Increment(ref _settled);
    }

    public void HandBack() => Interlocked.Increment(ref _handedBack);

    public string Describe() =>
        string.Join(", ", _outcomes.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => string.Create(CultureInfo.InvariantCulture, $"{o.Key} {o.Value}")));
}
