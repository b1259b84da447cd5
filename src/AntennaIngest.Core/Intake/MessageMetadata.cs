namespace AntennaIngest.Core.Intake;

/// <summary>
/// What the decoder reads besides the body. For Celery messages these are protocol v2 headers
/// (unknown headers are not carried); JetStream results messages carry none.
/// </summary>
/// <param name="TaskName">Celery `task` header, e.g. ami.jobs.tasks.process_nats_pipeline_result.</param>
/// <param name="TaskId">Celery `id` header.</param>
/// <param name="Compression">Celery `compression` header (kombu's "application/x-gzip" is zlib).</param>
/// <param name="Eta">Celery `eta` header: do not run before.</param>
/// <param name="Expires">Celery `expires` header: drop if not run by then.</param>
/// <param name="ContentType">AMQP content_type (Celery sends application/json).</param>
public sealed record MessageMetadata(
    string? TaskName,
    string? TaskId,
    string? Compression,
    DateTimeOffset? Eta,
    DateTimeOffset? Expires,
    string? ContentType)
{
    public static MessageMetadata None { get; } = new(null, null, null, null, null, null);

    /// <summary>What a Celery worker records about the request (result backend, events); null for JetStream.</summary>
    public CeleryEnvelope? Celery { get; init; }
}
