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

    /// <summary>Existing detection: the path its re-save stores (the crop URL or null).</summary>
    public string? SetPath { get; set; }

    /// <summary>Existing detection re-saved by Antenna's get_or_create_detection (its path was empty).</summary>
    public bool Resaved { get; set; }

    /// <summary>
    /// The timestamp a save in this group gave the image before this detection was created or
    /// last re-saved (wall-clock); used only where the image's stored timestamp is NULL.
    /// </summary>
    public DateTime? FillTimestamp { get; set; }

    public PlannedOccurrence? Occurrence { get; set; }

    /// <summary>Existing detection that had no occurrence and gets <see cref="Occurrence"/>.</summary>
    public bool OccurrenceAssigned { get; set; }

    public List<PlannedClassification> Classifications { get; } = [];
}
