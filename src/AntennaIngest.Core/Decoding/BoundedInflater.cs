using System.Buffers;
using System.IO.Compression;

namespace AntennaIngest.Core.Decoding;

/// <summary>
/// Inflates kombu's "gzip" bodies — zlib streams (RFC 1950), despite the name — into a pooled
/// buffer, refusing to grow past the size limit so a small message cannot expand into gigabytes.
/// </summary>
internal static class BoundedInflater
{
    /// <summary>The inflated bytes in a rented array (caller returns it), or an error reason.</summary>
    public static (byte[]? Buffer, int Length, string? Error) Inflate(ReadOnlyMemory<byte> compressed, long maxBytes)
    {
        var capacity = (int)Math.Min(Math.Max(compressed.Length * 4L, 4096), Math.Min(maxBytes + 1, Array.MaxLength));
        var buffer = ArrayPool<byte>.Shared.Rent(capacity);
        var length = 0;
        try
        {
            using var input = new ReadOnlyMemoryStream(compressed);
            using var zlib = new ZLibStream(input, CompressionMode.Decompress);
            var limit = (int)Math.Min(maxBytes + 1, Array.MaxLength);
            while (length < limit)
            {
                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, limit));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = zlib.Read(buffer, length, Math.Min(buffer.Length, limit) - length);
                if (read == 0)
                {
                    break;
                }

                length += read;
            }

            if (length > maxBytes)
            {
                ArrayPool<byte>.Shared.Return(buffer);
                return (null, 0, $"decompressed body exceeds INGEST_MAX_MESSAGE_BYTES ({maxBytes} bytes)");
            }

            return (buffer, length, null);
        }
        catch (InvalidDataException e)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return (null, 0, $"body is not a valid zlib stream: {e.Message}");
        }
    }

    /// <summary>A read-only stream over memory without copying it.</summary>
    private sealed class ReadOnlyMemoryStream(ReadOnlyMemory<byte> memory) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => memory.Length;

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var count = Math.Min(buffer.Length, memory.Length - _position);
            memory.Span.Slice(_position, count).CopyTo(buffer);
            _position += count;
            return count;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
