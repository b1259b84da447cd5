namespace AntennaIngest.Core.Planning;

/// <summary>A classification algorithm's category map: existing, or a placeholder built from its first classification.</summary>
internal sealed class PlannedCategoryMap
{
    public long Id { get; set; }

    public long AlgorithmId { get; init; }

    public string AlgorithmName { get; init; } = "";

    public string AlgorithmKey { get; init; } = "";

    /// <summary>Placeholder labels (the classification's labels, or "0".."n-1"); null for an existing map.</summary>
    public IReadOnlyList<string>? Labels { get; init; }

    /// <summary>isoformat() of the classification's timestamp.</summary>
    public string Version { get; init; } = "";

    public int NewIndex { get; set; } = -1;

    public int IntroducedBy { get; init; } = -1;

    public bool Created { get; set; }
}
