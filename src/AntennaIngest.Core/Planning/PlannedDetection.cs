using AntennaIngest.Core.Contracts;

namespace AntennaIngest.Core.Planning;

/// <summary>A detection as the group leaves it: existing (maybe updated) or new (a real one or a null marker).</summary>
internal sealed class PlannedDetection
{
    public long Id { get; set; }

    public int NewIndex { get; set; } = -1;

    public bool IsNew => NewIndex >= 0;

    public long ImageId { get; init; }

    public long? AlgorithmId { get; init; }

    /// <summary>jsonb text of the bbox; null for a bbox-NULL detection.</summary>
    public string? Bbox { get; init; }

    /// <summary>A marker written for an image without detections: no occurrence, written last.</summary>
    public bool IsMarker { get; init; }

    /// <summary>The create_detections pass of the group that created it (-1: stored).</summary>
    public int CreatedInPass { get; init; } = -1;

    /// <summary>The response's timestamp (new real detections).</summary>
    public ResultTimestamp? DetectionTime { get; init; }

    public string? Path { get; set; }

    /// <summary>Existing detection: the crop path to store.</summary>
    public string? SetPath { get; set; }

    public PlannedOccurrence? Occurrence { get; set; }

    /// <summary>Existing detection that had no occurrence and gets <see cref="Occurrence"/>.</summary>
    public bool OccurrenceAssigned { get; set; }

    public List<PlannedClassification> Classifications { get; } = [];
}
