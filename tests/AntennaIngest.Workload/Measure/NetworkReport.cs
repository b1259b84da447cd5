using AntennaIngest.Workload.Network;

namespace AntennaIngest.Workload.Measure;

/// <summary>How the contender's network was shaped; direct when <see cref="AddedRttMs"/> is 0.</summary>
public sealed record NetworkReport
{
    /// <summary>Round trip added to every exchange with a proxied service, in ms.</summary>
    public double AddedRttMs { get; init; }

    public string Method { get; init; } = "direct: the contender connects to the services on loopback";

    /// <summary>CPU seconds the proxy process used from ready to stop (on the same two cores as the contender).</summary>
    public double ProxyCpuSeconds { get; init; }

    public IReadOnlyList<string> Proxied { get; init; } = [];

    /// <summary>Per proxy: connections, bytes, and how late chunks left the delay queue (µs).</summary>
    public IReadOnlyList<ProxyStats> Proxies { get; init; } = [];
}
