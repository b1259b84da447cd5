using AntennaIngest.Core.Contracts;

namespace AntennaIngest.Core.Decoding;

/// <summary>What the decoder makes of one message body. It never throws for bad input.</summary>
public abstract record DecodeResult
{
    /// <summary>The Celery call's args and kwargs as sent, when the body could be parsed (result_extended stores them).</summary>
    public CeleryArguments? Arguments { get; init; }
}

/// <summary>A Celery call's positional and keyword arguments, raw UTF-8 JSON as they arrived.</summary>
public sealed record CeleryArguments(ReadOnlyMemory<byte> Args, ReadOnlyMemory<byte> Kwargs);

/// <summary>A task this binary runs.</summary>
public sealed record DecodedTask(IngestTask Task) : DecodeResult;

/// <summary>A Celery task name this binary does not run: forward it unchanged.</summary>
public sealed record UnhandledTask(string TaskName) : DecodeResult;

/// <summary>Celery's `expires` has passed: drop with a log line, as a Celery worker would.</summary>
public sealed record ExpiredTask(string TaskName, DateTimeOffset Expires) : DecodeResult;

/// <summary>
/// The message can never be processed. <paramref name="JobId"/> is set when it could be read
/// (so the job's log gets a line), <paramref name="Field"/> names the offending field (a JSON path
/// such as result_data.detections[3].bbox.x1) when there is one.
/// </summary>
public sealed record RejectedMessage(string Reason, long? JobId, string? Field) : DecodeResult
{
    public string Describe() => Field is null ? Reason : $"{Field}: {Reason}";
}
