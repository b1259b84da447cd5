using AntennaIngest.Core.Contracts;

namespace AntennaIngest.Core.Planning;

/// <summary>A classification: a stored row (maybe backfilled) or a new one from a response.</summary>
internal sealed class PlannedClassification
{
    /// <summary>New rows sort after every stored id, in allocation order (their ids will).</summary>
    private const long NewOrderBase = 1L << 62;

    public long Id { get; set; }

    public int NewIndex { get; set; } = -1;

    public bool IsNew => NewIndex >= 0;

    public PlannedDetection? Detection { get; init; }

    public PlannedTaxon? Taxon { get; init; }

    public long? AlgorithmId { get; init; }

    public double? Score { get; init; }

    public bool Terminal { get; init; }

    public DateTime CreatedAt { get; init; }

    public bool LogitsNull { get; set; }

    public bool ScoresNull { get; set; }

    public bool CategoryMapNull { get; set; }

    /// <summary>New row: the response it comes from.</summary>
    public ClassificationResponse? Source { get; init; }

    /// <summary>New row: the algorithm's category map.</summary>
    public PlannedCategoryMap? CategoryMap { get; init; }

    public double[]? SetLogits { get; set; }

    public double[]? SetScores { get; set; }

    public PlannedCategoryMap? SetCategoryMap { get; set; }

    public bool Backfilled { get; set; }

    public long Order => IsNew ? NewOrderBase + NewIndex : Id;
}
