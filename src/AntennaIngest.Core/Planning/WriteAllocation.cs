namespace AntennaIngest.Core.Planning;

/// <summary>What the second round trip returned, in the order of the draft's requests.</summary>
public sealed record WriteAllocation(
    IReadOnlyList<NamedId> Taxa,
    IReadOnlyList<NamedId> TaxaLists,
    IReadOnlyList<NamedId> CategoryMaps,
    IReadOnlyList<long> DetectionIds,
    IReadOnlyList<long> ClassificationIds,
    IReadOnlyList<long> OccurrenceIds)
{
    public static WriteAllocation None { get; } = new([], [], [], [], [], []);
}
