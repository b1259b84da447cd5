namespace AntennaIngest.Core.Planning;

/// <summary>Everything the first round trip read for a group of results, under the images' locks.</summary>
public sealed class ReadSnapshot
{
    /// <summary>By slug.</summary>
    public Dictionary<string, PipelineRow> Pipelines { get; } = new(StringComparer.Ordinal);

    public Dictionary<long, ImageRow> Images { get; } = [];

    /// <summary>The first detection (frame_num, timestamp, id) with exactly this bbox on the image, any algorithm.</summary>
    public Dictionary<(long ImageId, string Bbox), DetectionRow> BboxMatches { get; } = [];

    /// <summary>Every bbox-NULL detection of the images, in (image, frame_num, timestamp, id) order.</summary>
    public IList<DetectionRow> NullBboxDetections { get; } = [];

    /// <summary>Classifications of the matched detections and of every detection sharing their occurrences.</summary>
    public IList<ClassificationRow> Classifications { get; } = [];

    public Dictionary<long, OccurrenceRow> Occurrences { get; } = [];

    /// <summary>Occurrence id → taxon of its newest non-withdrawn identification (null when that one has no taxon).</summary>
    public Dictionary<long, long?> Identifications { get; } = [];

    /// <summary>Label → the active taxon Antenna would pick (name or search_names, by ordering, name).</summary>
    public Dictionary<string, long> TaxaByLabel { get; } = new(StringComparer.Ordinal);

    /// <summary>taxon_rank of the category-map entry at (algorithm key, argmax), for labels without a taxon.</summary>
    public Dictionary<(string Key, int Index), string> Ranks { get; } = [];

    /// <summary>Labels that are the exact name of an inactive taxon.</summary>
    public HashSet<string> InactiveNames { get; } = new(StringComparer.Ordinal);

    /// <summary>Display names already used, among the ones new taxa could take.</summary>
    public HashSet<string> TakenDisplayNames { get; } = new(StringComparer.Ordinal);

    /// <summary>Algorithm id → its global "Taxa returned by …" list (the oldest when several).</summary>
    public Dictionary<long, long> TaxaListsByAlgorithm { get; } = [];
}
