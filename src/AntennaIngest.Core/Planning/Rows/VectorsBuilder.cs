namespace AntennaIngest.Core.Planning.Rows;

/// <summary>Builds <see cref="Vectors"/> row by row.</summary>
internal sealed class VectorsBuilder
{
    private readonly List<double[]?> _rows = [];
    private int _total;

    public void Add(double[]? vector)
    {
        _rows.Add(vector);
        _total += vector?.Length ?? 0;
    }

    public Vectors Build()
    {
        var flat = new double[_total];
        var offsets = new int[_rows.Count];
        var lengths = new int[_rows.Count];
        var at = 0;
        for (var i = 0; i < _rows.Count; i++)
        {
            offsets[i] = at;
            if (_rows[i] is { } row)
            {
                row.CopyTo(flat, at);
                lengths[i] = row.Length;
                at += row.Length;
            }
            else
            {
                lengths[i] = -1;
            }
        }

        return new Vectors(flat, offsets, lengths);
    }
}
