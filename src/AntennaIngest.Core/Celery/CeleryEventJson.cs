using System.Buffers;
using System.Text.Json;

namespace AntennaIngest.Core.Celery;

/// <summary>
/// Bodies of Celery task and worker events as a Celery 5.4 worker sends them
/// (celery/events/event.py Event, dispatcher.py publish; fields from worker/strategy.py,
/// worker/request.py and worker/heartbeat.py). Key order follows Celery's dict: hostname,
/// utcoffset, pid, clock, the event's fields, timestamp, type.
/// </summary>
public sealed class CeleryEventJson(string hostname, int pid, int utcOffset)
{
    private long _clock;

    public string Hostname => hostname;

    /// <summary>Worker events: what worker/heartbeat.py sends, software fields naming this binary.</summary>
    public byte[] Worker(string type, DateTimeOffset now, double frequency, int active, long processed, double[] loadAverage, string version) =>
        Write(type, now, json =>
        {
            json.WriteNumber("freq", frequency);
            json.WriteNumber("active", active);
            json.WriteNumber("processed", processed);
            json.WriteStartArray("loadavg");
            foreach (var value in loadAverage)
            {
                json.WriteNumberValue(Math.Round(value, 2));
            }

            json.WriteEndArray();
            json.WriteString("sw_ident", "antenna-ingest");
            json.WriteString("sw_ver", version);
            json.WriteString("sw_sys", "Linux");
        });

    public byte[] TaskReceived(CeleryCall call, DateTimeOffset now) =>
        Write("task-received", now, json =>
        {
            json.WriteString("uuid", call.TaskId);
            json.WriteString("name", call.Name);
            StringOrNull(json, "args", call.Envelope.ArgsRepr);
            StringOrNull(json, "kwargs", call.Envelope.KwargsRepr);
            StringOrNull(json, "root_id", call.Envelope.RootId);
            StringOrNull(json, "parent_id", call.Envelope.ParentId);
            json.WriteNumber("retries", call.Retries);
            StringOrNull(json, "eta", call.Eta is { } eta ? CeleryResultJson.IsoFormat(eta) : null);
            StringOrNull(json, "expires", call.Expires is { } expires ? CeleryResultJson.IsoFormat(expires) : null);
        });

    public byte[] TaskStarted(CeleryCall call, DateTimeOffset now) =>
        Write("task-started", now, json => json.WriteString("uuid", call.TaskId));

    /// <summary>`result` is the repr of the return value: "None" for all three tasks.</summary>
    public byte[] TaskSucceeded(CeleryCall call, TimeSpan runtime, DateTimeOffset now) =>
        Write("task-succeeded", now, json =>
        {
            json.WriteString("uuid", call.TaskId);
            json.WriteString("result", "None");
            json.WriteNumber("runtime", runtime.TotalSeconds);
        });

    public byte[] TaskFailed(CeleryCall call, CeleryError error, DateTimeOffset now) =>
        Write("task-failed", now, json =>
        {
            json.WriteString("uuid", call.TaskId);
            json.WriteString("exception", error.Repr);
            json.WriteString("traceback", error.Traceback);
        });

    public byte[] TaskRevoked(CeleryCall call, DateTimeOffset now) =>
        Write("task-revoked", now, json =>
        {
            json.WriteString("uuid", call.TaskId);
            json.WriteBoolean("terminated", false);
            json.WriteNull("signum");
            json.WriteBoolean("expired", true);
        });

    /// <summary>The routing key on the celeryev exchange: the type with dots (task.succeeded).</summary>
    public static string RoutingKey(string type) => type.Replace('-', '.');

    /// <summary>Celery's utcoffset(): time.timezone // 3600, i.e. hours west of UTC, floored.</summary>
    public static int UtcOffsetHours(TimeSpan localOffset) => (int)Math.Floor(-localOffset.TotalSeconds / 3600);

    private byte[] Write(string type, DateTimeOffset now, Action<Utf8JsonWriter> fields)
    {
        // The Lamport clock Celery forwards with every event it sends.
        var clock = Interlocked.Increment(ref _clock);
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer, CeleryResultJson.WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("hostname", hostname);
            json.WriteNumber("utcoffset", utcOffset);
            json.WriteNumber("pid", pid);
            json.WriteNumber("clock", clock);
            fields(json);
            json.WriteNumber("timestamp", now.ToUnixTimeMilliseconds() / 1000.0);
            json.WriteString("type", type);
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void StringOrNull(Utf8JsonWriter json, string name, string? value)
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
