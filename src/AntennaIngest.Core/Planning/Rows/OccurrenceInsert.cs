namespace AntennaIngest.Core.Planning.Rows;

/// <summary>New main_occurrence rows, with their determination already decided.</summary>
public sealed record OccurrenceInsert(long[] Ids, long?[] EventIds, long?[] DeploymentIds, long?[] ProjectIds, long?[] DeterminationIds, double?[] Scores);
