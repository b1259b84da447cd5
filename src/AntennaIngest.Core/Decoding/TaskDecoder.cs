using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
using AntennaIngest.Core.Contracts;
using AntennaIngest.Core.Intake;
using static AntennaIngest.Core.Decoding.PydanticFields;

namespace AntennaIngest.Core.Decoding;

/// <summary>
/// Turns one message body into a task, or into the reason it can never become one. Never throws:
/// any input (truncated zlib, invalid UTF-8, deep nesting, wrong types) ends as a
/// <see cref="RejectedMessage"/>. Parses straight from the (inflated, pooled) bytes.
/// </summary>
public static class TaskDecoder
{
    public const string ProcessResultTask = "ami.jobs.tasks.process_nats_pipeline_result";
    public const string SaveResultsTask = "ami.ml.models.pipeline.save_results";
    public const string CreateDetectionImagesTask = "ami.ml.tasks.create_detection_images";

    private static readonly JsonDocumentOptions s_options = new() { MaxDepth = 64, CommentHandling = JsonCommentHandling.Disallow, AllowTrailingCommas = false };

    /// <summary>A Celery protocol v2 message from the ml_results queue.</summary>
    public static DecodeResult DecodeCelery(MessageMetadata metadata, ReadOnlyMemory<byte> body, long maxMessageBytes, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var task = metadata.TaskName;
        if (string.IsNullOrEmpty(task))
        {
            return new RejectedMessage("no Celery `task` header (not a protocol v2 task message)", null, null);
        }

        if (task is not (ProcessResultTask or SaveResultsTask or CreateDetectionImagesTask))
        {
            return new UnhandledTask(task);
        }

        if (metadata.Expires is { } expires && expires < now)
        {
            return new ExpiredTask(task, expires);
        }

        if (metadata.ContentType is { } contentType && !contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return new RejectedMessage($"content type '{contentType}' is not accepted (Celery accept_content is json)", null, null);
        }

        return WithBody(metadata.Compression, body, maxMessageBytes, root => WithArguments(DecodeCeleryBody(task, root), root));
    }

    /// <summary>A message of the native JetStream results stream: {"job_id", "reply_subject", "result"}.</summary>
    public static DecodeResult DecodeJetStreamResult(ReadOnlyMemory<byte> body, long maxMessageBytes) =>
        WithBody(null, body, maxMessageBytes, root =>
        {
            var message = RequireObject(root, string.Empty);
            var jobId = Integer(Required(message, "job_id", string.Empty), "job_id");
            try
            {
                var reply = String(Required(message, "reply_subject", string.Empty), "reply_subject");
                var result = PipelineResultParser.ParseUnion(Required(message, "result", string.Empty), "result");
                return new DecodedTask(new ProcessPipelineResultTask(jobId, result, reply));
            }
            catch (InvalidFieldException e)
            {
                return new RejectedMessage(e.Reason, jobId, e.Path);
            }
        });

    private static DecodeResult DecodeCeleryBody(string task, JsonElement root)
    {
        root = Unwrap(root);
        if (root.ValueKind != JsonValueKind.Array || root.GetArrayLength() < 2)
        {
            return new RejectedMessage("body is not a Celery protocol v2 [args, kwargs, embed] array", null, null);
        }

        var args = List(root[0], "args");
        var kwargs = RequireObject(root[1], "kwargs");
        var parameters = new Parameters(args, kwargs);
        switch (task)
        {
            case ProcessResultTask:
            {
                var jobId = Integer(parameters.Required("job_id", 0), "job_id");
                try
                {
                    var result = PipelineResultParser.ParseTaskResult(parameters.Required("result_data", 1), "result_data");
                    var reply = String(parameters.Required("reply_subject", 2), "reply_subject");
                    return new DecodedTask(new ProcessPipelineResultTask(jobId, result, reply));
                }
                catch (InvalidFieldException e)
                {
                    return new RejectedMessage(e.Reason, jobId, e.Path);
                }
            }

            case SaveResultsTask:
            {
                long? jobId = parameters.Optional("job_id", 2) is { } job ? Integer(job, "job_id") : null;
                try
                {
                    var response = parameters.Optional("results_json", 1) is { } json
                        ? ParseEmbeddedJson(String(json, "results_json"))
                        : parameters.Optional("results", 0) is { } results
                            ? PipelineResultParser.ParseResponse(results, "results")
                            : throw new InvalidFieldException("results", "No results data passed to save_results task");
                    return new DecodedTask(new SaveResultsTask(jobId, response));
                }
                catch (InvalidFieldException e)
                {
                    return new RejectedMessage(e.Reason, jobId, e.Path);
                }
            }

            default:
            {
                var idsElement = List(parameters.Required("source_image_ids", 0), "source_image_ids");
                var ids = new List<long>(idsElement.GetArrayLength());
                var i = 0;
                foreach (var id in idsElement.EnumerateArray())
                {
                    ids.Add(Integer(id, Index("source_image_ids", i++)));
                }

                return new DecodedTask(new CreateDetectionImagesTask(ids));
            }
        }
    }

    // Copied out of the pooled document: a Celery worker with result_extended stores them with the result.
    private static DecodeResult WithArguments(DecodeResult result, JsonElement root)
    {
        root = Unwrap(root);
        if (root.ValueKind != JsonValueKind.Array || root.GetArrayLength() < 2)
        {
            return result;
        }

        return result with
        {
            Arguments = new CeleryArguments(JsonMarshal.GetRawUtf8Value(root[0]).ToArray(), JsonMarshal.GetRawUtf8Value(root[1]).ToArray()),
        };
    }

    // save_results_async sends results.json(): the response as a JSON string inside the JSON body.
    private static PipelineResultsResponse ParseEmbeddedJson(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json, s_options);
            return PipelineResultParser.ParseResponse(document.RootElement, "results_json");
        }
        catch (JsonException e)
        {
            throw new InvalidFieldException("results_json", $"invalid JSON: {e.Message}");
        }
    }

    private static DecodeResult WithBody(string? compression, ReadOnlyMemory<byte> body, long maxMessageBytes, Func<JsonElement, DecodeResult> decode)
    {
        byte[]? rented = null;
        try
        {
            var json = body;
            if (compression is not null)
            {
                if (compression is not ("application/x-gzip" or "gzip" or "zlib" or "application/zlib" or "application/x-zlib"))
                {
                    return new RejectedMessage($"compression '{compression}' is not supported (kombu gzip/zlib only)", null, null);
                }

                var (buffer, length, error) = BoundedInflater.Inflate(body, maxMessageBytes);
                if (error is not null)
                {
                    return new RejectedMessage(error, null, null);
                }

                rented = buffer;
                json = buffer.AsMemory(0, length);
            }
            else if (body.Length > maxMessageBytes)
            {
                return new RejectedMessage($"body exceeds INGEST_MAX_MESSAGE_BYTES ({maxMessageBytes} bytes)", null, null);
            }

            using var document = JsonDocument.Parse(json, s_options);
            return decode(document.RootElement);
        }
        catch (JsonException e)
        {
            return new RejectedMessage($"invalid JSON: {e.Message}", null, null);
        }
        catch (InvalidFieldException e)
        {
            return new RejectedMessage(e.Reason, null, e.Path);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or OverflowException or InvalidDataException or IndexOutOfRangeException)
        {
            // Defensive: the decoder must never take the pump down, whatever the input.
            return new RejectedMessage($"undecodable message: {e.GetType().Name}: {e.Message}", null, null);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Celery call arguments: kwargs by name, else positional args by index.</summary>
    private readonly struct Parameters(JsonElement args, JsonElement kwargs)
    {
        public JsonElement? Optional(string name, int position)
        {
            if (kwargs.TryGetProperty(name, out var value))
            {
                value = Unwrap(value);
                return value.ValueKind == JsonValueKind.Null ? null : value;
            }

            if (position < args.GetArrayLength())
            {
                var positional = Unwrap(args[position]);
                return positional.ValueKind == JsonValueKind.Null ? null : positional;
            }

            return null;
        }

        public JsonElement Required(string name, int position) =>
            Optional(name, position) ?? throw new InvalidFieldException(name, "missing required argument");
    }
}
