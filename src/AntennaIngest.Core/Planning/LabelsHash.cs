using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace AntennaIngest.Core.Planning;

/// <summary>
/// labels_hash of a placeholder category map. Antenna uses Python's <c>hash("".join(labels))</c>,
/// which is randomised per process, so no reader can rely on its value; this one is stable across
/// processes and runs: the first 63 bits of SHA-256 over the UTF-8 of the joined labels.
/// </summary>
public static class LabelsHash
{
    public static long Compute(IReadOnlyList<string> labels)
    {
        var joined = Encoding.UTF8.GetBytes(string.Concat(labels));
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(joined, digest);
        return (long)(BinaryPrimitives.ReadUInt64BigEndian(digest) & long.MaxValue);
    }
}
