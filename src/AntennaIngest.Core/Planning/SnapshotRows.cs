namespace AntennaIngest.Core.Planning;

// Rows as the write path reads them in its first round trip: only the columns planning needs
// (never the bulk score/logit vectors).

/// <summary>ml_pipeline with its registered algorithms, ordered by (name, version) as Antenna lists them.</summary>
public sealed record PipelineRow(long Id, string Slug, IReadOnlyList<AlgorithmRow> Algorithms, string Name = "", int Version = 1)
{
    /// <summary>Antenna's Pipeline.__str__.</summary>
    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"#{Id} \"{Name}\" ({Slug}) v{Version}");
}

/// <summary>ml_algorithm.</summary>
public sealed record AlgorithmRow(long Id, string Key, string Name, string? TaskType, long? CategoryMapId, int Version = 1)
{
    /// <summary>Antenna's Algorithm.__str__.</summary>
    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"#{Id} \"{Name}\" ({Key}) v{Version}");
}

/// <summary>main_sourceimage: what new occurrences copy from it, and what its save fills a NULL timestamp from.</summary>
public sealed record ImageRow(long Id, long? DeploymentId, long? EventId, long? ProjectId, string Path = "", bool HasTimestamp = true);

/// <summary>main_detection.</summary>
public sealed record DetectionRow(long Id, long ImageId, long? AlgorithmId, string? Path, long? OccurrenceId);

/// <summary>main_classification without its vectors: only whether they are NULL.</summary>
public sealed record ClassificationRow(
    long Id,
    long DetectionId,
    long? OccurrenceId,
    long? TaxonId,
    long? AlgorithmId,
    double? Score,
    bool Terminal,
    DateTime CreatedAt,
    bool LogitsNull,
    bool ScoresNull,
    bool CategoryMapNull);

/// <summary>main_occurrence's determination.</summary>
public sealed record OccurrenceRow(long Id, long? DeterminationId, double? DeterminationScore);
