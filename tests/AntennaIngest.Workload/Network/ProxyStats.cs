namespace AntennaIngest.Workload.Network;

/// <summary>One proxy's traffic and how precisely its delay was applied (release lateness after the due time).</summary>
public sealed record ProxyStats(
    string Name,
    string Target,
    int Port,
    long Connections,
    long BytesToServer,
    long BytesToClient,
    long Chunks,
    double ReleaseLatenessP50Us,
    double ReleaseLatenessP99Us,
    double ReleaseLatenessMaxUs);
