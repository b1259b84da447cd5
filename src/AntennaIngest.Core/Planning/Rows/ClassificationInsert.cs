namespace AntennaIngest.Core.Planning.Rows;

/// <summary>New main_classification rows; timestamps are naive wall-clock values in their zone.</summary>
public sealed record ClassificationInsert(
    long[] Ids,
    long[] DetectionIds,
    long[] TaxonIds,
    long[] AlgorithmIds,
    double[] Scores,
    DateTime[] Timestamps,
    string[] Zones,
    long?[] CategoryMapIds,
    bool[] Terminal,
    Vectors ScoreVectors,
    Vectors LogitVectors);
