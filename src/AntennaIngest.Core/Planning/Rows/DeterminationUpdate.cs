namespace AntennaIngest.Core.Planning.Rows;

/// <summary>Existing occurrences whose determination or score changes.</summary>
public sealed record DeterminationUpdate(long[] Ids, long?[] TaxonIds, double?[] Scores);
