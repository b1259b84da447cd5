using System.Net;
using System.Net.Sockets;

namespace AntennaIngest.Testing;

public static class LoopbackPorts
{
    /// <summary>
    /// A loopback TCP port the kernel has just handed out as free. A random pick in 40000–60000
    /// lies in Linux's ephemeral range and can be a client connection's port (a chaos run's binary
    /// once failed to bind its HTTP port that way).
    /// </summary>
    public static int Free()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
