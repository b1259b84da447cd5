namespace AntennaIngest.Core.Planning.Rows;

/// <summary>
/// Null markers for images without detections: bbox NULL, detection_time now(), no occurrence;
/// timestamp the image's, or the one its save in this group filled (<see cref="Timestamps"/>).
/// </summary>
public sealed record MarkerInsert(long[] Ids, long[] ImageIds, long[] AlgorithmIds, DateTime?[] Timestamps);
