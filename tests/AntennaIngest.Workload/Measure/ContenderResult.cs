namespace AntennaIngest.Workload.Measure;

/// <summary>One contender's run: throughput, latency, database and process costs, errors and the invariant check.</summary>
public sealed record ContenderResult
{
    public required string Contender { get; init; }

    public required string Status { get; init; }

    public string Message { get; init; } = string.Empty;

    public string Mode { get; init; } = "backlog";

    public double Rate { get; init; }

    public int Results { get; init; }

    public int Acked { get; init; }

    public int Unacked { get; init; }

    public int Terminated { get; init; }

    public int Naks { get; init; }

    public double ResultsPerMinute { get; init; }

    public double WindowSeconds { get; init; }

    public double StartupSeconds { get; init; }

    public double WallSeconds { get; init; }

    public Percentiles LatencyMs { get; init; } = new(0, 0, 0, 0, 0);

    public Percentiles SmallLatencyMs { get; init; } = new(0, 0, 0, 0, 0);

    public double RoundTripsPerResult { get; init; }

    public long RoundTrips { get; init; }

    public long ProxyConnections { get; init; }

    public long PeakServerConnections { get; init; }

    public long PoolPeakClientActive { get; init; }

    public long PoolPeakClientWaiting { get; init; }

    public long PoolPeakServerActive { get; init; }

    public double PoolMaxWaitSeconds { get; init; }

    public double PeakRssMb { get; init; }

    public int PeakProcesses { get; init; }

    public double CpuSeconds { get; init; }

    public long DataRows { get; init; }

    public double RowsPerSecond { get; init; }

    public double MegabytesPerSecond { get; init; }

    public int VerifyViolations { get; init; }

    public IReadOnlyList<string> VerifyFailures { get; init; } = [];

    public int? ExitCode { get; init; }

    public Dictionary<string, int> AckKinds { get; init; } = [];

    /// <summary>With --wait-crops: detections cropped by the end, and still without a crop.</summary>
    public long CropsMade { get; init; }

    public long CropsMissing { get; init; }

    /// <summary>With --wait-crops: results/min and the window run until the last crop was stored.</summary>
    public bool UntilCropsDone { get; init; }
}

/// <summary>Latency percentiles in milliseconds over <see cref="Count"/> results.</summary>
public sealed record Percentiles(int Count, double P50, double P95, double P99, double Max)
{
    public static Percentiles Of(IReadOnlyCollection<double> values)
    {
        if (values.Count == 0)
        {
            return new Percentiles(0, 0, 0, 0, 0);
        }

        var sorted = values.Order().ToArray();
        double At(double q) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
        return new Percentiles(sorted.Length, At(0.50), At(0.95), At(0.99), sorted[^1]);
    }
}
