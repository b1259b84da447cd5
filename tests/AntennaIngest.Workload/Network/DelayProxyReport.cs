namespace AntennaIngest.Workload.Network;

/// <summary>
/// What a `delay-proxy` process reports when it stops: its CPU seconds from the moment it was
/// ready (start-up and JIT excluded) and each proxy's traffic.
/// </summary>
public sealed record DelayProxyReport(double CpuSeconds, IReadOnlyList<ProxyStats> Proxies);
