using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using AntennaIngest.Testing;

namespace AntennaIngest.Workload.Enqueue;

/// <summary>
/// Each result's JSON, laid out and compressed once per benchmark run, on disk under a key of
/// everything that decides its bytes (seed, job and image index, image id, size and URL, the
/// pipeline). Every repetition of the binary's 10,000-result backlog is the same JSON; only
/// the job id and reply subject around it change, and those stay outside the cached part.
/// One folder serves one benchmark run (bench.sh removes it): the key does not cover the code
/// that writes the JSON.
/// </summary>
public sealed class ResultBodyCache(string directory)
{
    public string Directory => directory;

    public (PrecompressedJson ResultData, int CompactBytes) GetOrAdd(string key, Func<byte[]> writeCompact)
    {
        var path = Path.Combine(directory, key[..2], key);
        if (File.Exists(path))
        {
            var stored = File.ReadAllBytes(path);
            return (PrecompressedJson.Read(stored.AsSpan(4)), BinaryPrimitives.ReadInt32LittleEndian(stored));
        }

        var compact = writeCompact();
        var value = PrecompressedJson.Of(compact);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var partial = $"{path}.{Environment.ProcessId}.{Environment.CurrentManagedThreadId}.partial";
        using (var file = File.Create(partial))
        {
            Span<byte> length = stackalloc byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(length, compact.Length);
            file.Write(length);
            value.Write(file);
        }

        File.Move(partial, path, overwrite: true); // whole files only, even with builders in parallel
        return (value, compact.Length);
    }

    // The stored layout (PrecompressedJson.Write); a new one must not read files of an older one.
    private const string Format = "precompressed-json 2";

    public static string Key(string inputs) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{Format}|{inputs}")));
}
