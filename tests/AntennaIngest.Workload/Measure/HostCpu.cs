using System.Globalization;

namespace AntennaIngest.Workload.Measure;

/// <summary>
/// CPU seconds the whole host has spent busy since boot, from /proc/stat's `cpu` line: user +
/// nice + system + irq + softirq + steal (guest time is already inside user). The difference over
/// a run charges a contender with everything its work caused: Postgres, pgbouncer, Redis, NATS,
/// RabbitMQ, the proxies and the harness too, which the per-process sampler cannot see.
/// </summary>
public static class HostCpu
{
    private const double TicksPerSecond = 100.0; // USER_HZ

    public static double BusySeconds()
    {
        var line = File.ReadLines("/proc/stat").First(l => l.StartsWith("cpu ", StringComparison.Ordinal));
        var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();

        // user nice system idle iowait irq softirq steal …
        return (fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + fields[7]) / TicksPerSecond;
    }
}
