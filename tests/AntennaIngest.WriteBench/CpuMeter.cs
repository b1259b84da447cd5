using System.Diagnostics;
using System.Globalization;

namespace AntennaIngest.WriteBench;

/// <summary>
/// CPU seconds used by this process and by every postgres/pgbouncer process on the machine (from
/// /proc; zero where unreadable). On a shared two-core machine wall time is noisy; CPU spent per
/// result is the steadier measure of cost. Server CPU includes anything else the server did.
/// </summary>
internal readonly record struct CpuMeter(double Client, double Server)
{
    private const double TicksPerSecond = 100; // USER_HZ on Linux

    public static CpuMeter Now() => new(Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds, ServerSeconds());

    public static CpuMeter operator -(CpuMeter after, CpuMeter before) => new(after.Client - before.Client, after.Server - before.Server);

    private static double ServerSeconds()
    {
        double ticks = 0;
        try
        {
            foreach (var directory in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(directory), out _))
                {
                    continue;
                }

                try
                {
                    var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                    var open = stat.IndexOf('(', StringComparison.Ordinal);
                    var close = stat.LastIndexOf(')');
                    var name = stat[(open + 1)..close];
                    if (name is not ("postgres" or "pgbouncer"))
                    {
                        continue;
                    }

                    // Fields after the name start at state (3); utime and stime are 14 and 15.
                    var fields = stat[(close + 2)..].Split(' ');
                    ticks += double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture);
                }
                catch (IOException)
                {
                }
            }
        }
        catch (UnauthorizedAccessException)
        {
            return 0;
        }

        return ticks / TicksPerSecond;
    }
}
