using System.Diagnostics;
using System.Globalization;

namespace AntennaIngest.Core.Faults;

/// <summary>
/// Crash points for the fault-injection suite (scripts/chaos.sh): with
/// INGEST_CHAOS_KILL_AT=&lt;point&gt;:&lt;n&gt; the process kills itself with SIGKILL the n-th time
/// it passes &lt;point&gt; — the same abrupt end as `kill -9`, but at an exact place in the code
/// that an outside timer could not hit. Unset (production), a hit costs one field read.
/// </summary>
public static class FaultPoints
{
    public const string AfterDecode = "after_decode";
    public const string InTransaction = "in_transaction";
    public const string AfterCommit = "after_commit";
    public const string AfterRedis = "after_redis";
    public const string DuringCrops = "during_crops";

    private static readonly string? s_point;
    private static readonly long s_at;
    private static long s_hits;

    static FaultPoints()
    {
        var setting = Environment.GetEnvironmentVariable("INGEST_CHAOS_KILL_AT");
        if (string.IsNullOrEmpty(setting))
        {
            return;
        }

        var colon = setting.LastIndexOf(':');
        s_point = colon < 0 ? setting : setting[..colon];
        s_at = colon < 0 ? 1 : long.Parse(setting[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture);
    }

    public static void Hit(string point)
    {
        if (s_point is null || !string.Equals(point, s_point, StringComparison.Ordinal))
        {
            return;
        }

        if (Interlocked.Increment(ref s_hits) == s_at)
        {
            Console.Error.WriteLine($"antenna-ingest: INGEST_CHAOS_KILL_AT reached {point} #{s_at}: SIGKILL");
            Console.Error.Flush();
            Process.GetCurrentProcess().Kill();
        }
    }
}
