namespace AntennaIngest.Core.Planning;

/// <summary>A taxon a classification points at: an existing row, or one the group creates (id known after allocation).</summary>
internal sealed class PlannedTaxon
{
    public long Id { get; set; }

    /// <summary>Set when the group may create it: the label (its name).</summary>
    public string? NewLabel { get; init; }

    public string Rank { get; init; } = "";

    public string DisplayName { get; init; } = "";

    public int NewIndex { get; set; } = -1;

    /// <summary>Index of the result that first needed it (its log line and count).</summary>
    public int IntroducedBy { get; init; } = -1;

    /// <summary>After allocation: true when this group inserts it (nobody created it meanwhile).</summary>
    public bool Created { get; set; }
}
