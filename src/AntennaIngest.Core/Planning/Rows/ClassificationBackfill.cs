namespace AntennaIngest.Core.Planning.Rows;

/// <summary>Existing classifications whose NULL logits/scores/category_map get a value (others untouched).</summary>
public sealed record ClassificationBackfill(long[] Ids, long?[] CategoryMapIds, Vectors ScoreVectors, Vectors LogitVectors);
