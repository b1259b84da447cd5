using System.Globalization;

namespace AntennaIngest.Workload.Measure;

/// <summary>
/// One process's TCP connections by remote port: its socket descriptors (/proc/PID/fd links to
/// `socket:[inode]`) matched with the kernel's connection tables (/proc/PID/net/tcp and tcp6).
/// Every state but LISTEN counts, so a connection the peer closed and the process never did
/// (CLOSE_WAIT) shows as open, and as <see cref="NotEstablished"/>.
/// </summary>
public sealed record TcpConnections(IReadOnlyDictionary<int, int> ByRemotePort, int NotEstablished)
{
    private const string Established = "01";
    private const string Listen = "0A";

    public int Total => ByRemotePort.Values.Sum();

    /// <summary>Null when the process is gone.</summary>
    public static TcpConnections? Read(int pid)
    {
        var process = Path.Combine("/proc", pid.ToString(CultureInfo.InvariantCulture));
        try
        {
            var sockets = new HashSet<string>(StringComparer.Ordinal);
            foreach (var descriptor in Directory.EnumerateFileSystemEntries(Path.Combine(process, "fd")))
            {
                // "socket:[123456]"
                if (new FileInfo(descriptor).LinkTarget is { } target && target.StartsWith("socket:[", StringComparison.Ordinal))
                {
                    sockets.Add(target[8..^1]);
                }
            }

            var byPort = new Dictionary<int, int>();
            var notEstablished = 0;
            foreach (var table in new[] { "tcp", "tcp6" })
            {
                // "sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode …", addresses as HEXIP:HEXPORT.
                foreach (var line in File.ReadLines(Path.Combine(process, "net", table)).Skip(1))
                {
                    var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    if (fields.Length < 10 || fields[3] == Listen || !sockets.Contains(fields[9]))
                    {
                        continue;
                    }

                    var remote = fields[2];
                    var port = int.Parse(remote.AsSpan(remote.IndexOf(':') + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                    byPort[port] = byPort.GetValueOrDefault(port) + 1;
                    notEstablished += fields[3] == Established ? 0 : 1;
                }
            }

            return new TcpConnections(byPort, notEstablished);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
