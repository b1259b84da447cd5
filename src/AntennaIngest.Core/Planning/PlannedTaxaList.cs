namespace AntennaIngest.Core.Planning;

/// <summary>The global "Taxa returned by {algorithm name}" list of a classification algorithm.</summary>
internal sealed class PlannedTaxaList
{
    public long Id { get; set; }

    public long AlgorithmId { get; init; }

    public string Name { get; init; } = "";

    public int NewIndex { get; set; } = -1;

    public int IntroducedBy { get; init; } = -1;

    public bool Created { get; set; }
}
