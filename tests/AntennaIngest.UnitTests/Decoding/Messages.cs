using System.IO.Compression;
using System.Text;
using System.Text.Json;
using AntennaIngest.Core.Decoding;
using AntennaIngest.Core.Intake;

namespace AntennaIngest.UnitTests.Decoding;

/// <summary>Builds message bodies for decoder tests.</summary>
internal static class Messages
{
    public const long Max = 10 * 1024 * 1024;
    public const string Reply = "$JS.ACK.job_1.job-1-consumer.1.5.5.1718000000000000000.3";

    public static MessageMetadata Celery(string task = TaskDecoder.ProcessResultTask, string? compression = null, DateTimeOffset? expires = null, string? contentType = "application/json") =>
        new(task, "id-1", compression, null, expires, contentType);

    public static string Detection(string extra = "") =>
        $$"""{"source_image_id": 10, "bbox": {"x1": 1, "y1": 2.5, "x2": "30", "y2": 40}, "algorithm": {"name": "Det", "key": "det"}, "timestamp": "2024-06-01T02:13:44"{{extra}}}""";

    public static string Success(string detections = "", string extra = "") =>
        $$"""{"pipeline": "p", "total_time": 1, "source_images": [{"id": 10, "url": "u"}], "detections": [{{detections}}]{{extra}}}""";

    public static byte[] CeleryBody(string kwargs, string args = "[]") => Encoding.UTF8.GetBytes($"[{args}, {kwargs}, {{\"callbacks\": null}}]");

    public static byte[] ProcessKwargs(string resultData, long jobId = 7) =>
        CeleryBody($$"""{"job_id": {{jobId}}, "result_data": {{resultData}}, "reply_subject": "{{Reply}}"}""");

    public static DecodeResult DecodeResult(string resultData) =>
        TaskDecoder.DecodeCelery(Celery(), ProcessKwargs(resultData), Max, DateTimeOffset.UtcNow);

    public static DecodeResult DecodeJetStream(string result, string jobId = "7") =>
        TaskDecoder.DecodeJetStreamResult(Encoding.UTF8.GetBytes($$"""{"job_id": {{jobId}}, "reply_subject": "{{Reply}}", "result": {{result}}}"""), Max);

    public static byte[] Zlib(byte[] data)
    {
        using var output = new MemoryStream();
        using (var zlib = new ZLibStream(output, CompressionLevel.Fastest))
        {
            zlib.Write(data);
        }

        return output.ToArray();
    }

    public static T Expect<T>(DecodeResult result)
        where T : DecodeResult =>
        result as T ?? throw new Xunit.Sdk.XunitException($"expected {typeof(T).Name}, got {result}");

    public static Core.Contracts.ProcessPipelineResultTask Task(DecodeResult result) =>
        (Core.Contracts.ProcessPipelineResultTask)Expect<DecodedTask>(result).Task;

    public static MessageMetadata FromGoldenHeaders(string name)
    {
        using var headers = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "celery", name + ".headers.json")));
        var root = headers.RootElement;
        return new MessageMetadata(root.GetProperty("task").GetString(), root.GetProperty("id").GetString(), root.GetProperty("compression").GetString(), null, null, "application/json");
    }

    public static byte[] GoldenBody(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "fixtures", "celery", name + ".body"));
}
