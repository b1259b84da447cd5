using System.Collections.Concurrent;

namespace AntennaIngest.Core.Health;

/// <summary>
/// What /readyz reports: every registered component (dependency connections, intakes), whether
/// it is ready now and, where the component knows it, what it is waiting on (a ready component
/// can still be the reason results are slow). Components register once and are read at each request.
/// </summary>
public sealed class Readiness
{
    private readonly ConcurrentDictionary<string, (Func<bool> IsReady, Func<string>? Detail)> _checks = new(StringComparer.Ordinal);

    public void Register(string name, Func<bool> isReady, Func<string>? detail = null) => _checks[name] = (isReady, detail);

    public IReadOnlyList<(string Name, bool Ready, string Detail)> Snapshot() =>
        _checks.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => (c.Key, SafeRead(c.Value.IsReady), SafeDetail(c.Value.Detail))).ToList();

    public bool IsReady => !_checks.IsEmpty && _checks.Values.All(c => SafeRead(c.IsReady));

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

    private static string SafeDetail(Func<string>? detail)
    {
        try
        {
            return detail?.Invoke() ?? string.Empty;
        }
        catch (ObjectDisposedException)
        {
            return string.Empty;
        }
    }
}
