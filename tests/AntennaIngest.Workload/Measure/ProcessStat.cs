using System.Globalization;

namespace AntennaIngest.Workload.Measure;

/// <summary>What /proc/PID/stat says of one process: its session, CPU seconds (user + system) and resident memory.</summary>
public readonly record struct ProcessStat(int Session, double CpuSeconds, long RssBytes)
{
    private static readonly long s_pageSize = Environment.SystemPageSize;
    private const double TicksPerSecond = 100.0;

    public static ProcessStat? Read(int pid) => Read(Path.Combine("/proc", pid.ToString(CultureInfo.InvariantCulture)));

    /// <summary>Null when the process is gone (it exited between listing and reading).</summary>
    public static ProcessStat? Read(string processDir)
    {
        try
        {
            var stat = File.ReadAllText(Path.Combine(processDir, "stat"));

            // Fields after the parenthesised command name: state(3) ppid(4) pgrp(5) session(6) … utime(14) stime(15) … rss(24).
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return new ProcessStat(
                int.Parse(fields[3], CultureInfo.InvariantCulture),
                (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond,
                long.Parse(fields[21], CultureInfo.InvariantCulture) * s_pageSize);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }
}
