namespace AntennaIngest.Workload.Network;

/// <summary>Bytes and chunks a proxy forwarded in one direction, over all its connections.</summary>
public sealed class TrafficCounter
{
    private long _bytes;
    private long _chunks;

    public long Bytes => Interlocked.Read(ref _bytes);

    public long Chunks => Interlocked.Read(ref _chunks);

    internal void Add(int bytes)
    {
        Interlocked.Add(ref _bytes, bytes);
        Interlocked.Increment(ref _chunks);
    }
}
