namespace AntennaIngest.Workload.Enqueue;

/// <summary>What a correct run must leave behind, per result and in total.</summary>
public sealed record Expectations(int Seed, string Target, IReadOnlyList<ExpectedResult> Results)
{
    public int Errors => Results.Count(r => r.Error);

    public long Detections => Results.Sum(r => (long)r.Detections);

    public long Classifications => Results.Sum(r => (long)r.Classifications);

    /// <summary>Null markers: one per success result without detections.</summary>
    public long NullMarkers => Results.Count(r => !r.Error && r.Detections == 0);

    /// <summary>Detection, null-marker, occurrence and classification rows a run writes.</summary>
    public long DataRows => (2 * Detections) + NullMarkers + Classifications;

    public long Bytes => Results.Sum(r => (long)r.Bytes);
}

/// <summary>One result: its job, image and reply subject, whether it is an error, and its counts (Antenna's raw response counts).</summary>
public sealed record ExpectedResult(long Job, long Image, string ReplySubject, bool Error, int Detections, int Classifications, int Moths, int Bytes);
