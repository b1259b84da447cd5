namespace AntennaIngest.Core.Celery;

/// <summary>The counts a Celery worker's heartbeat reports (active requests, tasks processed).</summary>
public sealed class CeleryWorkerStats
{
    private long _active;
    private long _processed;

    public int Active => (int)Interlocked.Read(ref _active);

    public long Processed => Interlocked.Read(ref _processed);

    public void Started()
    {
        Interlocked.Increment(ref _active);
        Interlocked.Increment(ref _processed);
    }

    public void Finished() => Interlocked.Decrement(ref _active);
}
