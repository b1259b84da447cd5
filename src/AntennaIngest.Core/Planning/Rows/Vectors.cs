namespace AntennaIngest.Core.Planning.Rows;

/// <summary>
/// Ragged float vectors (scores, logits) of many rows as one flat array plus each row's offset
/// and length (-1 = NULL): sent as one binary float8[] parameter and sliced server-side.
/// </summary>
public sealed record Vectors(double[] Flat, int[] Offsets, int[] Lengths)
{
    public static Vectors Empty { get; } = new([], [], []);

    public long Bytes => Flat.LongLength * sizeof(double);
}
