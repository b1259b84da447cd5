using System.Buffers;

namespace AntennaIngest.Workload.Network;

/// <summary>
/// Bytes read from one side of a proxied connection, in a buffer rented from the shared pool and
/// returned once written; no buffer marks end of stream (the reader saw FIN).
/// </summary>
internal readonly record struct Chunk(byte[]? Buffer, int Length)
{
    public static Chunk EndOfStream => default;

    public bool IsEndOfStream => Buffer is null;

    public void Return()
    {
        if (Buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(Buffer);
        }
    }
}
