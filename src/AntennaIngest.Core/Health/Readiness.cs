using System.Collections.Concurrent;

namespace AntennaIngest.Core.Health;

/// <summary>
/// What /readyz reports: every registered component (dependency connections, intakes) and
/// whether it is ready now. Components register once and are read at each request.
/// </summary>
public sealed class Readiness
{
    private readonly ConcurrentDictionary<string, Func<bool>> _checks = new(StringComparer.Ordinal);

    public void Register(string name, Func<bool> isReady) => _checks[name] = isReady;

    public IReadOnlyList<(string Name, bool Ready)> Snapshot() =>
        _checks.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => (c.Key, SafeRead(c.Value))).ToList();

    public bool IsReady => !_checks.IsEmpty && _checks.Values.All(SafeRead);

    private static bool SafeRead(Func<bool> check)
    {
        try
        {
            return check();
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }
}
