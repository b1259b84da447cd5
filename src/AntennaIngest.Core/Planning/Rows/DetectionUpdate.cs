namespace AntennaIngest.Core.Planning.Rows;

/// <summary>Existing detections: a new occurrence and/or a crop path (null = leave as is).</summary>
public sealed record DetectionUpdate(long[] Ids, long?[] OccurrenceIds, string?[] Paths);
