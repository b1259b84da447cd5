namespace AntennaIngest.Core.Planning.Rows;

/// <summary>Null markers for images without detections: bbox NULL, detection_time now(), no occurrence.</summary>
public sealed record MarkerInsert(long[] Ids, long[] ImageIds, long[] AlgorithmIds);
