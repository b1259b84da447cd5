using AntennaIngest.Core.Decoding;
using AntennaIngest.Core.Intake;
using BenchmarkDotNet.Attributes;

namespace AntennaIngest.Benchmarks;

/// <summary>
/// TaskDecoder.DecodeCelery on process_nats_pipeline_result bodies of Antenna's measured sizes
/// (median ~5 KB, mean ~190 KB, max ~2 MB), uncompressed and with kombu's zlib compression.
/// </summary>
[MemoryDiagnoser]
public class DecodeBenchmarks
{
    private const long MaxMessageBytes = 64L * 1024 * 1024;
    private MessageMetadata _metadata = MessageMetadata.None;
    private byte[] _body = [];

    [Params(5_000, 190_000, 2_000_000)]
    public int TargetBytes { get; set; }

    [Params(false, true)]
    public bool Zlib { get; set; }

    /// <summary>Uncompressed JSON bytes of the message, for MB/s.</summary>
    public int JsonBytes { get; private set; }

    [GlobalSetup]
    public void Setup()
    {
        var json = Payloads.CeleryBody(TargetBytes);
        JsonBytes = json.Length;
        _body = Zlib ? Payloads.Zlib(json) : json;
        _metadata = new MessageMetadata(TaskDecoder.ProcessResultTask, "bench", Zlib ? "application/x-gzip" : null, null, null, "application/json");
        if (Decode() is not DecodedTask)
        {
            throw new InvalidOperationException($"benchmark payload does not decode: {Decode()}");
        }
    }

    [Benchmark]
    public DecodeResult Decode() => TaskDecoder.DecodeCelery(_metadata, _body, MaxMessageBytes, DateTimeOffset.UtcNow);
}
