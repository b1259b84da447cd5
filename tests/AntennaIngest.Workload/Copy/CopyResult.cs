namespace AntennaIngest.Workload.Copy;

/// <summary>The database's own limit: the rows of every result written by binary COPY, in one transaction per stream.</summary>
public sealed record CopyResult(int Results, long Occurrences, long Detections, long Classifications, double Seconds, double MegabytesSent)
{
    /// <summary>Parts written at once, each on its own connection and transaction.</summary>
    public int Streams { get; init; } = 1;

    /// <summary>Every stream count tried (copy.json holds the best of them).</summary>
    public IReadOnlyList<CopyResult>? Trials { get; init; }

    public long Rows => Occurrences + Detections + Classifications;

    public double RowsPerSecond => Seconds > 0 ? Rows / Seconds : 0;

    public double MegabytesPerSecond => Seconds > 0 ? MegabytesSent / Seconds : 0;

    public double ResultsPerMinute => Seconds > 0 ? Results / Seconds * 60 : 0;
}
