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

    // Three clocks over the same acks. The headline is ResultsPerMinuteFromStart (contender
    // start → last ack): it charges start-up and warm-up to the contender, as a deployment pays
    // them. ResultsPerMinute keeps its old meaning (first → last ack) for older reports.

    /// <summary>First → last ack ((acked − 1) / window); with --wait-crops until the last crop. Same as <see cref="ResultsPerMinuteFirstToLastAck"/> without --wait-crops.</summary>
    public double ResultsPerMinute { get; init; }

    /// <summary>Headline: acked results per minute from the contender's start to the last ack (with --wait-crops, to the last crop).</summary>
    public double ResultsPerMinuteFromStart { get; init; }

    /// <summary>Contender start → last ack (or last crop), the headline's interval, in seconds.</summary>
    public double SecondsFromStart { get; init; }

    /// <summary>Paced runs only (0 for a backlog): acked results per minute from the first enqueue to the last ack.</summary>
    public double ResultsPerMinuteFromEnqueueStart { get; init; }

    public double SecondsFromEnqueueStart { get; init; }

    /// <summary>First ack → last ack, strictly ((acked − 1) / window), whatever --wait-crops says.</summary>
    public double ResultsPerMinuteFirstToLastAck { get; init; }

    /// <summary>First ack → last ack (or last crop with --wait-crops), in seconds.</summary>
    public double WindowSeconds { get; init; }

    /// <summary>Contender start → first ack.</summary>
    public double StartupSeconds { get; init; }

    /// <summary>Contender start → stop (every result acked, or the run given up).</summary>
    public double WallSeconds { get; init; }

    /// <summary>
    /// The harness's own time around the run, outside every clock above: enqueueing the backlog,
    /// starting the delaying proxies, stopping the contender, checking invariants. It decides how
    /// long the whole benchmark takes, not any contender's numbers.
    /// </summary>
    public HarnessSeconds Harness { get; init; } = new(0, 0, 0, 0);

    public Percentiles LatencyMs { get; init; } = new(0, 0, 0, 0, 0);

    public Percentiles SmallLatencyMs { get; init; } = new(0, 0, 0, 0, 0);

    /// <summary>
    /// Queries through pgbouncer for the run's database per acked result. Since benchmark v2 from
    /// pgbouncer's SHOW STATS total_query_count delta (see <see cref="RoundTripsSource"/>), no longer
    /// from a counting proxy in the contender's path; pgbouncer counts one per request cycle
    /// (Query, or Parse/Bind/Execute… up to Sync), which is what the proxy counted.
    /// </summary>
    public double RoundTripsPerResult { get; init; }

    /// <summary>Queries through pgbouncer for the run's database, contender start → stop.</summary>
    public long RoundTrips { get; init; }

    public string RoundTripsSource { get; init; } = string.Empty;

    /// <summary>Transactions through pgbouncer for the run's database (SHOW STATS total_xact_count delta).</summary>
    public long PgbouncerTransactions { get; init; }

    /// <summary>Connections the contender opened to pgbouncer, counted by its delay proxy; 0 when direct (no proxy).</summary>
    public long ProxyConnections { get; init; }

    public long PeakServerConnections { get; init; }

    public long PoolPeakClientActive { get; init; }

    public long PoolPeakClientWaiting { get; init; }

    public long PoolPeakServerActive { get; init; }

    public double PoolMaxWaitSeconds { get; init; }

    public double PeakRssMb { get; init; }

    /// <summary>Peak of the PSS summed over the contender's processes (shared pages split between them), sampled once a second and at the end of the run.</summary>
    public double PeakPssMb { get; init; }

    /// <summary>Peak PSS of the largest single contender process.</summary>
    public double PeakPssPerProcessMb { get; init; }

    public int PeakProcesses { get; init; }

    /// <summary>CPU seconds of the contender's processes (user + system).</summary>
    public double CpuSeconds { get; init; }

    /// <summary>Busy CPU seconds of the whole host from contender start to the end of the run (all services, proxies and the harness included).</summary>
    public double HostCpuSeconds { get; init; }

    [System.Text.Json.Serialization.JsonPropertyName("host_cpu_seconds_per_1000_results")] // the naming policy would write "per1000"
    public double HostCpuSecondsPer1000Results { get; init; }

    /// <summary>How the contender's connections to the services were delayed (direct when added_rtt_ms is 0).</summary>
    public NetworkReport Network { get; init; } = new();

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

/// <summary>Seconds the harness spent in each phase of a run (see <see cref="ContenderResult.Harness"/>).</summary>
public sealed record HarnessSeconds(double Enqueue, double Network, double Stop, double Verify);

