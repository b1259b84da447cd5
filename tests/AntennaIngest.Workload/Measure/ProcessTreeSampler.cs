using System.Globalization;

namespace AntennaIngest.Workload.Measure;

/// <summary>
/// Samples every process of a session (the contender runs under `setsid`, so its workers share
/// the session id) from /proc: resident memory summed over processes, and CPU seconds (user +
/// system) kept per pid at its last sample, so children that exit still count. On request also
/// PSS (proportional set size, /proc/PID/smaps_rollup): RSS counts pages shared by forked
/// workers once per worker, PSS splits them, so a prefork pool's total is not inflated.
/// </summary>
public sealed class ProcessTreeSampler(int sessionId)
{
    private readonly Dictionary<int, double> _cpuByPid = [];

    public long PeakRssBytes { get; private set; }

    /// <summary>Largest sum of PSS over the session's processes at one sample.</summary>
    public long PeakPssBytes { get; private set; }

    /// <summary>Largest PSS of any single process at any sample.</summary>
    public long PeakPssPerProcessBytes { get; private set; }

    public int PeakProcesses { get; private set; }

    public double CpuSeconds => _cpuByPid.Values.Sum();

    /// <param name="withPss">Reading smaps_rollup walks the process's page tables: costlier than stat, so the caller samples it less often.</param>
    public void Sample(bool withPss = false)
    {
        long rss = 0;
        long pss = 0;
        var processes = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            if (ProcessStat.Read(dir) is not { } stat || stat.Session != sessionId)
            {
                continue;
            }

            _cpuByPid[pid] = stat.CpuSeconds;
            rss += stat.RssBytes;
            processes++;
            if (withPss)
            {
                try
                {
                    var processPss = PssBytes(dir);
                    pss += processPss;
                    PeakPssPerProcessBytes = Math.Max(PeakPssPerProcessBytes, processPss);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
                {
                    // The process exited between listing and reading.
                }
            }
        }

        PeakRssBytes = Math.Max(PeakRssBytes, rss);
        PeakPssBytes = Math.Max(PeakPssBytes, pss);
        PeakProcesses = Math.Max(PeakProcesses, processes);
    }

    private static long PssBytes(string processDir)
    {
        foreach (var line in File.ReadLines(Path.Combine(processDir, "smaps_rollup")))
        {
            // "Pss:                1234 kB"
            if (line.StartsWith("Pss:", StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan(4).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) * 1024;
            }
        }

        return 0;
    }
}
