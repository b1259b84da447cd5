namespace AntennaIngest.Core.Planning;

/// <summary>An occurrence as the group leaves it: existing (with its stored determination) or new.</summary>
internal sealed class PlannedOccurrence
{
    public long Id { get; set; }

    public int NewIndex { get; set; } = -1;

    public bool IsNew => NewIndex >= 0;

    public long? EventId { get; init; }

    public long? DeploymentId { get; init; }

    public long? ProjectId { get; init; }

    public PlannedTaxon? StoredTaxon { get; init; }

    public double? StoredScore { get; init; }

    public PlannedTaxon? Taxon { get; set; }

    public double? Score { get; set; }

    public IdentificationState<PlannedTaxon> Identification { get; init; }

    /// <summary>Every classification of every detection of the occurrence (stored and new).</summary>
    public List<PlannedClassification> Classifications { get; } = [];

    /// <summary>Images of the occurrence's detections that the group touched.</summary>
    public HashSet<long> ImageIds { get; } = [];
}
