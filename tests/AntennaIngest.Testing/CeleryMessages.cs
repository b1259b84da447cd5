using System.IO.Compression;
using System.Text;
using System.Text.Json;
using RabbitMQ.Client;

namespace AntennaIngest.Testing;

/// <summary>
/// Celery protocol v2 messages as Antenna's `.delay()` publishes them through celery 5.4 and
/// kombu 5.4: headers (`kwargsrepr` is Celery's saferepr of the kwargs), basic properties, and a
/// zlib-compressed UTF-8 JSON body `[args, kwargs, embed]` laid out as Python's json.dumps writes
/// it (kombu's "gzip" compression is zlib, RFC 1950). tests/celery/compare-enqueuer.sh compares
/// them with what Antenna's own code publishes.
/// </summary>
public sealed record CeleryMessage(string TaskName, string TaskId, IDictionary<string, object?> Headers, byte[] Body, bool Compressed)
{
    public const string ProcessResultTask = "ami.jobs.tasks.process_nats_pipeline_result";
    public const string SaveResultsTask = "ami.ml.models.pipeline.save_results";
    public const string CreateDetectionImagesTask = "ami.ml.tasks.create_detection_images";

    /// <summary>process_nats_pipeline_result(job_id, result_data, reply_subject) with result_data as raw JSON.</summary>
    public static CeleryMessage ProcessResult(long jobId, string resultDataJson, string replySubject, bool compress = true, int retries = 0, DateTimeOffset? eta = null, DateTimeOffset? expires = null, string? taskId = null) =>
        ProcessResult(jobId, Encoding.UTF8.GetBytes(resultDataJson), replySubject, compress, retries, eta, expires, taskId, validate: true);

    /// <summary>
    /// The same from UTF-8 JSON. <paramref name="validate"/> false skips re-parsing JSON the caller
    /// wrote itself: the benchmark builds ~2 GB of it before each of the binary's runs.
    /// </summary>
    public static CeleryMessage ProcessResult(long jobId, byte[] resultDataUtf8, string replySubject, bool compress = true, int retries = 0, DateTimeOffset? eta = null, DateTimeOffset? expires = null, string? taskId = null, bool validate = true) =>
        Create(ProcessResultTask, writer =>
        {
            writer.WriteNumber("job_id", jobId);
            writer.WritePropertyName("result_data");
            writer.WriteRawValue(resultDataUtf8, skipInputValidation: !validate);
            writer.WriteString("reply_subject", replySubject);
        }, compress, retries, eta, expires, taskId);

    /// <summary>
    /// The same with result_data compressed beforehand: the body inflates to the same bytes as the
    /// overloads above write (kombu's single zlib stream differs only in how it is compressed).
    /// </summary>
    public static CeleryMessage ProcessResult(long jobId, PrecompressedJson resultData, string replySubject, string? taskId = null)
    {
        const string Placeholder = "null";
        var text = Layout(writer =>
        {
            writer.WriteNumber("job_id", jobId);
            writer.WriteNull("result_data");
            writer.WriteString("reply_subject", replySubject);
        });
        var at = text.AsSpan().IndexOf("\"result_data\": null"u8) + "\"result_data\": "u8.Length;
        var body = resultData.ZlibBetween(text.AsSpan(0, at), text.AsSpan(at + Placeholder.Length));
        var reprText = Layout(writer =>
        {
            writer.WriteNumber("job_id", jobId);
            writer.WritePropertyName("result_data");
            writer.WriteRawValue(resultData.ReprSkeleton, skipInputValidation: true);
            writer.WriteString("reply_subject", replySubject);
        });
        return WithHeaders(ProcessResultTask, taskId ?? Guid.NewGuid().ToString(), reprText, body, compressed: true, retries: 0, eta: null, expires: null);
    }

    /// <summary>save_results(results=..., job_id=...) as Pipeline.save_results_async enqueues it.</summary>
    public static CeleryMessage SaveResults(long? jobId, string resultsJson, bool compress = true) =>
        Create(SaveResultsTask, writer =>
        {
            writer.WritePropertyName("results");
            writer.WriteRawValue(resultsJson);
            if (jobId is null)
            {
                writer.WriteNull("job_id");
            }
            else
            {
                writer.WriteNumber("job_id", jobId.Value);
            }
        }, compress);

    /// <summary>create_detection_images(source_image_ids=[...]).</summary>
    public static CeleryMessage CreateDetectionImages(IEnumerable<long> sourceImageIds, bool compress = true) =>
        Create(CreateDetectionImagesTask, writer =>
        {
            writer.WriteStartArray("source_image_ids");
            foreach (var id in sourceImageIds)
            {
                writer.WriteNumberValue(id);
            }

            writer.WriteEndArray();
        }, compress);

    /// <summary>Any task name with the given kwargs writer (used for the fallback-queue tests). A fixed <paramref name="taskId"/> makes the message reproducible.</summary>
    public static CeleryMessage Create(string taskName, Action<Utf8JsonWriter> writeKwargs, bool compress = true, int retries = 0, DateTimeOffset? eta = null, DateTimeOffset? expires = null, string? taskId = null)
    {
        var text = Layout(writeKwargs);
        return WithHeaders(taskName, taskId ?? Guid.NewGuid().ToString(), text, compress ? Zlib(text) : text, compress, retries, eta, expires);
    }

    // The body `[args, kwargs, embed]` with Python's separators.
    private static byte[] Layout(Action<Utf8JsonWriter> writeKwargs)
    {
        using var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartArray();
            writer.WriteStartArray();
            writer.WriteEndArray();
            writer.WriteStartObject();
            writeKwargs(writer);
            writer.WriteEndObject();
            writer.WriteStartObject();
            writer.WriteNull("callbacks");
            writer.WriteNull("errbacks");
            writer.WriteNull("chain");
            writer.WriteNull("chord");
            writer.WriteEndObject();
            writer.WriteEndArray();
        }

        return PythonJson.WithPythonSeparators(json.GetBuffer().AsSpan(0, (int)json.Length));
    }

    private static CeleryMessage WithHeaders(string taskName, string taskId, byte[] text, byte[] body, bool compressed, int retries, DateTimeOffset? eta, DateTimeOffset? expires)
    {
        var headers = new Dictionary<string, object?>
        {
            ["lang"] = "py",
            ["task"] = taskName,
            ["id"] = taskId,
            ["shadow"] = null,
            ["eta"] = eta?.ToString("yyyy-MM-ddTHH:mm:ss.ffffffzzz", System.Globalization.CultureInfo.InvariantCulture),
            ["expires"] = expires?.ToString("yyyy-MM-ddTHH:mm:ss.ffffffzzz", System.Globalization.CultureInfo.InvariantCulture),
            ["group"] = null,
            ["group_index"] = null,
            ["retries"] = retries,
            ["timelimit"] = new List<object?> { 360, 300 },
            ["root_id"] = taskId,
            ["parent_id"] = null,
            ["argsrepr"] = "()",
            ["kwargsrepr"] = KwargsRepr(text),
            ["origin"] = "gen1234@antenna-web",
            ["ignore_result"] = false,
            ["replaced_task_nesting"] = 0,
            ["stamped_headers"] = null,
            ["stamps"] = new Dictionary<string, object?>(),
        };
        if (compressed)
        {
            headers["compression"] = "application/x-gzip";
        }

        return new CeleryMessage(taskName, taskId, headers, body, compressed);
    }

    private static string KwargsRepr(byte[] body)
    {
        using var document = JsonDocument.Parse(body);
        return PythonRepr.SafeRepr(document.RootElement[1]);
    }

    public static byte[] Zlib(byte[] data)
    {
        using var output = new MemoryStream();
        using (var zlib = new ZLibStream(output, CompressionLevel.Optimal))
        {
            zlib.Write(data);
        }

        return output.ToArray();
    }

    /// <summary>Publishes to the default exchange with the queue name as routing key, as Celery does.</summary>
    public async Task PublishAsync(IChannel channel, string queue)
    {
        var properties = new BasicProperties
        {
            ContentType = "application/json",
            ContentEncoding = "utf-8",
            DeliveryMode = DeliveryModes.Persistent,
            Priority = 0,
            CorrelationId = TaskId,
            ReplyTo = Guid.NewGuid().ToString(),
            Headers = Headers,
        };
        await channel.BasicPublishAsync(string.Empty, queue, mandatory: false, properties, Body);
    }

    public string BodyText() => Encoding.UTF8.GetString(Compressed ? Inflate(Body) : Body);

    private static byte[] Inflate(byte[] data)
    {
        using var input = new ZLibStream(new MemoryStream(data), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }
}
