using System.Buffers.Binary;
using System.IO.Compression;

namespace AntennaIngest.Testing;

/// <summary>
/// A JSON value laid out as Python writes it, with its raw deflate ending on a sync flush, so a
/// zlib body can embed it without compressing it again: deflate blocks may be concatenated at a
/// sync flush (byte-aligned, not final), and a fresh compressor never refers back before its own
/// start. The benchmark sends the same ~2 GB of results in every run of the binary; compressing
/// them took most of the 90 s spent before each run. The text's Adler-32 and its repr skeleton
/// (<see cref="PythonRepr.ReprSkeleton"/>, for Celery's kwargsrepr header) are kept with it, so
/// that a message around it never reads the text again.
/// </summary>
public sealed record PrecompressedJson(byte[] Text, byte[] Deflated, uint TextAdler32, byte[] ReprSkeleton)
{
    /// <summary>How deep a result's containers show in kwargsrepr: saferepr's three levels, the kwargs dict being the first.</summary>
    public const int ShownDepthInKwargs = 2;

    private const int AdlerModulus = 65521;

    // Largest run of bytes whose Adler-32 sums cannot overflow 32 bits before the modulo (zlib's NMAX).
    private const int AdlerBlock = 5552;

    // Text, deflated and skeleton lengths, then the text's Adler-32.
    private const int HeaderBytes = 16;

    public static PrecompressedJson Of(ReadOnlySpan<byte> compactJson)
    {
        var text = PythonJson.WithPythonSeparators(compactJson);
        return new PrecompressedJson(text, Deflate(text, final: false), Adler32(text), PythonRepr.ReprSkeleton(compactJson, ShownDepthInKwargs));
    }

    /// <summary>
    /// A zlib stream (RFC 1950, kombu's "gzip") of <paramref name="prefix"/>, this value and
    /// <paramref name="suffix"/>: it inflates to exactly their concatenation.
    /// </summary>
    public byte[] ZlibBetween(ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> suffix)
    {
        var checksum = Adler32Combine(Adler32Combine(Adler32(prefix), TextAdler32, Text.Length), Adler32(suffix), suffix.Length);
        var head = Deflate(prefix, final: false);
        var tail = Deflate(suffix, final: true);
        var body = new byte[2 + head.Length + Deflated.Length + tail.Length + 4];
        body[0] = 0x78; // deflate, 32 KiB window
        body[1] = 0x9C; // default level; (0x78 << 8 | 0x9C) is a multiple of 31 as the header check asks
        head.CopyTo(body.AsSpan(2));
        Deflated.CopyTo(body.AsSpan(2 + head.Length));
        tail.CopyTo(body.AsSpan(2 + head.Length + Deflated.Length));
        BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(body.Length - 4), checksum);
        return body;
    }

    /// <summary>Raw deflate of <paramref name="data"/>; unless final, it stops after a sync flush and leaves the stream open.</summary>
    public static byte[] Deflate(ReadOnlySpan<byte> data, bool final)
    {
        using var output = new MemoryStream();
        var flushedLength = 0L;
        using (var deflate = new DeflateStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            deflate.Write(data);
            if (!final)
            {
                deflate.Flush(); // Z_SYNC_FLUSH: every byte out, ending on an empty stored block
                flushedLength = output.Length;
            }
        }

        return final ? output.ToArray() : output.GetBuffer().AsSpan(0, (int)flushedLength).ToArray();
    }

    public static uint Adler32(ReadOnlySpan<byte> data)
    {
        uint a = 1, b = 0;
        while (!data.IsEmpty)
        {
            var block = data[..Math.Min(AdlerBlock, data.Length)];
            foreach (var value in block)
            {
                a += value;
                b += a;
            }

            a %= AdlerModulus;
            b %= AdlerModulus;
            data = data[block.Length..];
        }

        return (b << 16) | a;
    }

    /// <summary>
    /// The Adler-32 of A followed by B from theirs and B's length: with sums a = 1 + Σ bytes and
    /// b = Σ of the running a, appending B adds its bytes to a (its own a counts the 1 again) and
    /// adds to b B's own b plus A's final a − 1 once for each of B's bytes.
    /// </summary>
    public static uint Adler32Combine(uint first, uint second, long secondLength)
    {
        long a1 = first & 0xFFFF, b1 = first >> 16, a2 = second & 0xFFFF, b2 = second >> 16;
        var a = (a1 + a2 - 1 + AdlerModulus) % AdlerModulus;
        var b = (b1 + b2 + (secondLength % AdlerModulus * ((a1 - 1 + AdlerModulus) % AdlerModulus))) % AdlerModulus;
        return (uint)((b << 16) | a);
    }

    /// <summary>Writes the value for <see cref="Read"/>.</summary>
    public void Write(Stream stream)
    {
        Span<byte> lengths = stackalloc byte[HeaderBytes];
        BinaryPrimitives.WriteInt32LittleEndian(lengths, Text.Length);
        BinaryPrimitives.WriteInt32LittleEndian(lengths[4..], Deflated.Length);
        BinaryPrimitives.WriteInt32LittleEndian(lengths[8..], ReprSkeleton.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(lengths[12..], TextAdler32);
        stream.Write(lengths);
        stream.Write(Text);
        stream.Write(Deflated);
        stream.Write(ReprSkeleton);
    }

    public static PrecompressedJson Read(ReadOnlySpan<byte> data)
    {
        if (data.Length < HeaderBytes)
        {
            throw new InvalidDataException("not a precompressed JSON value");
        }

        var textLength = BinaryPrimitives.ReadInt32LittleEndian(data);
        var deflatedLength = BinaryPrimitives.ReadInt32LittleEndian(data[4..]);
        var skeletonLength = BinaryPrimitives.ReadInt32LittleEndian(data[8..]);
        if (textLength < 0 || deflatedLength < 0 || skeletonLength < 0 || (long)HeaderBytes + textLength + deflatedLength + skeletonLength != data.Length)
        {
            throw new InvalidDataException("not a precompressed JSON value");
        }

        var body = data[HeaderBytes..];
        return new PrecompressedJson(
            body[..textLength].ToArray(),
            body.Slice(textLength, deflatedLength).ToArray(),
            BinaryPrimitives.ReadUInt32LittleEndian(data[12..]),
            body.Slice(textLength + deflatedLength, skeletonLength).ToArray());
    }
}
