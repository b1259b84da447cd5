namespace AntennaIngest.Core.Planning.Rows;

/// <summary>
/// Existing detections: a new occurrence, and/or Antenna's re-save of a detection whose path is
/// empty (<see cref="Resaved"/>): path = the crop URL or NULL, a NULL timestamp = the image's
/// (stored, else <see cref="Timestamps"/>, wall-clock), updated_at now.
/// </summary>
public sealed record DetectionUpdate(long[] Ids, long?[] OccurrenceIds, bool[] Resaved, string?[] Paths, DateTime?[] Timestamps);
