namespace AntennaIngest.Core.Planning.Rows;

/// <summary>
/// New main_detection rows from responses. timestamp is the image's (joined server-side), or when
/// that is NULL the one an earlier save in the group gave it (<see cref="Timestamps"/>, wall-clock);
/// detection_time is the naive wall-clock value interpreted in its zone ("UTC" for aware ones).
/// </summary>
public sealed record DetectionInsert(
    long[] Ids,
    long[] ImageIds,
    string?[] Bboxes,
    string?[] Paths,
    DateTime[] DetectionTimes,
    string[] Zones,
    long?[] AlgorithmIds,
    long?[] OccurrenceIds,
    DateTime?[] Timestamps);
