using AntennaIngest.Core.Planning.Rows;

namespace AntennaIngest.Core.Planning;

/// <summary>Every write of a group, as column arrays for multi-row statements.</summary>
public sealed class WritePlan
{
    public required TaxonInsert Taxa { get; init; }

    public required TaxaListInsert TaxaLists { get; init; }

    public required CategoryMapInsert CategoryMaps { get; init; }

    public required TaxaListTaxonInsert TaxaListTaxa { get; init; }

    public required OccurrenceInsert Occurrences { get; init; }

    public required DetectionInsert Detections { get; init; }

    public required DetectionUpdate DetectionUpdates { get; init; }

    public required ClassificationInsert Classifications { get; init; }

    public required ClassificationBackfill Backfills { get; init; }

    public required DeterminationUpdate Determinations { get; init; }

    /// <summary>Written last: the signal that an image was processed.</summary>
    public required MarkerInsert Markers { get; init; }

    /// <summary>Every found image of the group: calculated fields are refreshed for these.</summary>
    public required long[] ImageIds { get; init; }

    /// <summary>Per <see cref="ImageIds"/>: the timestamp SourceImage.save() takes from the file name when NULL (wall-clock), or null.</summary>
    public required DateTime?[] ImageTimestamps { get; init; }

    /// <summary>The zone wall-clock timestamps are in (Django's TIME_ZONE; Antenna runs with USE_TZ=False).</summary>
    public required string WallClockZone { get; init; }

    /// <summary>Images whose rows changed: their updated_at is bumped even when the counts did not move.</summary>
    public required long[] ChangedImageIds { get; init; }
}
