namespace AntennaIngest.Workload.Network;

/// <summary>
/// How long after its due time each chunk was released, in 10 µs buckets up to 20 ms: shows
/// whether the added delay was the configured one under the run's load (the scheduler thread
/// competes for the same two cores as the contender).
/// </summary>
public sealed class LatenessHistogram
{
    private const int BucketMicroseconds = 10;
    private readonly long[] _buckets = new long[2_000];
    private long _count;
    private long _maxNanoseconds;

    /// <summary>Called from the scheduler thread only; read from any thread.</summary>
    internal void Add(long latenessNanoseconds)
    {
        var bucket = (int)Math.Clamp(latenessNanoseconds / 1_000 / BucketMicroseconds, 0, _buckets.Length - 1);
        Interlocked.Increment(ref _buckets[bucket]);
        Interlocked.Increment(ref _count);
        if (latenessNanoseconds > Interlocked.Read(ref _maxNanoseconds))
        {
            Interlocked.Exchange(ref _maxNanoseconds, latenessNanoseconds);
        }
    }

    public long Count => Interlocked.Read(ref _count);

    /// <summary>Upper bound of the bucket holding quantile <paramref name="q"/>, in microseconds.</summary>
    public double PercentileMicroseconds(double q)
    {
        var count = Count;
        if (count == 0)
        {
            return 0;
        }

        var rank = (long)Math.Ceiling(q * count);
        long seen = 0;
        for (var i = 0; i < _buckets.Length; i++)
        {
            seen += Interlocked.Read(ref _buckets[i]);
            if (seen >= rank)
            {
                return Math.Min((i + 1) * BucketMicroseconds, MaxMicroseconds);
            }
        }

        return MaxMicroseconds;
    }

    public double MaxMicroseconds => Interlocked.Read(ref _maxNanoseconds) / 1_000.0;
}
