namespace AntennaIngest.Core.Planning.Rows;

/// <summary>Placeholder ml_algorithmcategorymap rows and the algorithms they are attached to.</summary>
/// <param name="Data">jsonb text: [{"label": l, "index": i}, ...].</param>
/// <param name="Labels">All rows' labels, flat; row i has <paramref name="LabelCounts"/>[i] from <paramref name="LabelOffsets"/>[i].</param>
public sealed record CategoryMapInsert(
    long[] Ids,
    long[] AlgorithmIds,
    string[] Data,
    string[] Labels,
    int[] LabelOffsets,
    int[] LabelCounts,
    string[] Versions,
    long[] LabelsHashes);
