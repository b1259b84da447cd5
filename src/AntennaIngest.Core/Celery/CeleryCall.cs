using AntennaIngest.Core.Decoding;
using AntennaIngest.Core.Intake;

namespace AntennaIngest.Core.Celery;

/// <summary>
/// One Celery task request as its worker reports it: the id the client polls, and the request
/// fields that Celery's result_extended and task events copy (name, args, kwargs, retries, queue...).
/// </summary>
public sealed record CeleryCall(
    string TaskId,
    string Name,
    CeleryArguments? Arguments,
    int Retries,
    CeleryEnvelope Envelope,
    DateTimeOffset? Eta,
    DateTimeOffset? Expires)
{
    /// <summary>Null for messages without a Celery task id (JetStream results, malformed tasks).</summary>
    public static CeleryCall? From(MessageMetadata metadata, CeleryArguments? arguments, int retries)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        if (metadata.Celery is not { } envelope || string.IsNullOrEmpty(metadata.TaskId) || string.IsNullOrEmpty(metadata.TaskName))
        {
            return null;
        }

        return new CeleryCall(metadata.TaskId, metadata.TaskName, arguments, retries, envelope, metadata.Eta, metadata.Expires);
    }
}

/// <summary>Celery's terminal task states this binary reports.</summary>
public enum CeleryState
{
    Success,
    Failure,
    Revoked,
}

/// <summary>
/// An exception as Celery's json result serializer stores it ({exc_type, exc_message, exc_module});
/// the client rebuilds it from these three fields when it calls AsyncResult.get().
/// </summary>
public sealed record CeleryError(string Type, string Module, string Message)
{
    /// <summary>A failure that can never succeed (what Antenna's pydantic/ValueError checks raise).</summary>
    public static CeleryError Deterministic(string message) => new("ValueError", "builtins", message);

    /// <summary>A dependency that stayed unavailable through every retry.</summary>
    public static CeleryError Unavailable(string message) => new("ConnectionError", "builtins", message);

    /// <summary>Celery's TaskRevokedError for a task whose `expires` had passed.</summary>
    public static CeleryError Expired { get; } = new("TaskRevokedError", "celery.exceptions", "expired");

    /// <summary>Python's repr of the exception, as task-failed carries it (safe_repr).</summary>
    public string Repr => $"{Type}({PythonRepr.Str(Message)})";

    /// <summary>A traceback-shaped text: the process has no Python frames to show.</summary>
    public string Traceback => $"Traceback (most recent call last):\n  (antenna-ingest native worker)\n{Module}.{Type}: {Message}\n";
}

/// <summary>Python's repr() of the few values events carry.</summary>
public static class PythonRepr
{
    public static string Str(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var quote = value.Contains('\'', StringComparison.Ordinal) && !value.Contains('"', StringComparison.Ordinal) ? '"' : '\'';
        var text = new System.Text.StringBuilder(value.Length + 2).Append(quote);
        foreach (var c in value)
        {
            _ = c switch
            {
                '\\' => text.Append("\\\\"),
                '\n' => text.Append("\\n"),
                '\r' => text.Append("\\r"),
                '\t' => text.Append("\\t"),
                _ when c == quote => text.Append('\\').Append(c),
                _ => text.Append(c),
            };
        }

        return text.Append(quote).ToString();
    }
}
