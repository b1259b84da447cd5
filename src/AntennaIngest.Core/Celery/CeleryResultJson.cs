using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace AntennaIngest.Core.Celery;

/// <summary>
/// The bodies Celery 5.4's backends store for a finished task (celery/backends/base.py
/// _get_result_meta with result_extended, and rpc.py _to_result), json-serialized. Keys are in
/// Celery's order; whitespace is compact where kombu's json.dumps puts a space, which no client reads.
/// All three tasks return None, so a SUCCESS carries `result: null`.
/// </summary>
public static class CeleryResultJson
{
    // Python's json module escapes none of '+', '<', '\'' (the default encoder would, for HTML).
    internal static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string StateName(CeleryState state) => state switch
    {
        CeleryState.Success => "SUCCESS",
        CeleryState.Failure => "FAILURE",
        _ => "REVOKED",
    };

    /// <summary>The value of `celery-task-meta-&lt;id&gt;` (key-value backends such as Redis).</summary>
    public static byte[] ForKeyValueBackend(CeleryCall call, CeleryState state, CeleryError? error, string worker, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(call);
        var buffer = new ArrayBufferWriter<byte>(256 + (call.Arguments is { } arguments ? arguments.Args.Length + arguments.Kwargs.Length : 0));
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            WriteOutcome(json, state, error);
            json.WriteString("date_done", IsoFormat(now));
            if (call.Envelope.GroupId is { Length: > 0 } group)
            {
                json.WriteString("group_id", group);
            }

            if (call.Envelope.ParentId is { Length: > 0 } parent)
            {
                json.WriteString("parent_id", parent);
            }

            // result_extended = True in Antenna's settings: the request travels with the result.
            json.WriteString("name", call.Name);
            WriteRawOrNull(json, "args", call.Arguments?.Args);
            WriteRawOrNull(json, "kwargs", call.Arguments?.Kwargs);
            json.WriteString("worker", worker);
            json.WriteNumber("retries", call.Retries);
            WriteStringOrNull(json, "queue", call.Envelope.RoutingKey);
            json.WriteString("task_id", call.TaskId);
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The reply message of the rpc:// backend (no date, no extended fields).</summary>
    public static byte[] ForRpcBackend(CeleryCall call, CeleryState state, CeleryError? error)
    {
        ArgumentNullException.ThrowIfNull(call);
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("task_id", call.TaskId);
            WriteOutcome(json, state, error);
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Python's datetime.isoformat() of an aware UTC time (microseconds only when non-zero).</summary>
    public static string IsoFormat(DateTimeOffset time)
    {
        var utc = time.ToUniversalTime();
        var micros = (utc.Ticks % TimeSpan.TicksPerSecond) / 10;
        var format = micros == 0 ? "yyyy-MM-dd'T'HH:mm:ss" : "yyyy-MM-dd'T'HH:mm:ss.ffffff";
        return utc.UtcDateTime.ToString(format, CultureInfo.InvariantCulture) + "+00:00";
    }

    private static void WriteOutcome(Utf8JsonWriter json, CeleryState state, CeleryError? error)
    {
        json.WriteString("status", StateName(state));
        if (error is null)
        {
            json.WriteNull("result");
            json.WriteNull("traceback");
        }
        else
        {
            // prepare_exception: exc.args is a tuple, serialized as a list.
            json.WriteStartObject("result");
            json.WriteString("exc_type", error.Type);
            json.WriteStartArray("exc_message");
            json.WriteStringValue(error.Message);
            json.WriteEndArray();
            json.WriteString("exc_module", error.Module);
            json.WriteEndObject();
            if (state == CeleryState.Failure)
            {
                json.WriteString("traceback", error.Traceback);
            }
            else
            {
                json.WriteNull("traceback");
            }
        }

        // The binary starts no sub-tasks (crops are scheduled in process), so there are no children.
        json.WriteStartArray("children");
        json.WriteEndArray();
    }

    private static void WriteRawOrNull(Utf8JsonWriter json, string name, ReadOnlyMemory<byte>? raw)
    {
        json.WritePropertyName(name);
        if (raw is { Length: > 0 } value)
        {
            json.WriteRawValue(value.Span, skipInputValidation: true);
        }
        else
        {
            json.WriteNullValue();
        }
    }

    private static void WriteStringOrNull(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }
}
