using System.Buffers;
using AntennaIngest.Core.Intake;
using RabbitMQ.Client;

namespace AntennaIngest.Amqp.Intake;

/// <summary>
/// One delivery from the Celery queue. The body is copied into a pooled buffer (the client's
/// memory is valid only during the callback); settlement goes through the delivering channel,
/// and is skipped for deliveries of a channel generation lost to a reconnect — the broker has
/// already requeued those.
/// </summary>
internal sealed class CeleryInboundMessage : InboundMessage
{
    public const string RejectedReasonHeader = "x-rejected-reason";

    private readonly CeleryIntake _intake;
    private readonly byte[] _body;
    private readonly int _length;
    private readonly ulong _deliveryTag;
    private readonly long _generation;
    private readonly IReadOnlyBasicProperties _properties;
    private int _settled;

    public CeleryInboundMessage(CeleryIntake intake, ReadOnlyMemory<byte> body, ulong deliveryTag, long generation, IReadOnlyBasicProperties properties, string? routingKey)
    {
        _intake = intake;
        _length = body.Length;
        _body = ArrayPool<byte>.Shared.Rent(Math.Max(1, _length));
        body.Span.CopyTo(_body);
        _deliveryTag = deliveryTag;
        _generation = generation;
        _properties = properties;
        (Metadata, PriorAttempts) = CeleryHeaders.Read(properties, routingKey);
    }

    public override string Intake => "celery";

    public override MessageMetadata Metadata { get; }

    public override ReadOnlyMemory<byte> Body => _body.AsMemory(0, _length);

    public override int PriorAttempts { get; }

    public override ValueTask AckAsync(CancellationToken cancellationToken) =>
        Once() ? _intake.AckAsync(_deliveryTag, _generation, cancellationToken) : ValueTask.CompletedTask;

    // AMQP has no delayed requeue; the pump waits and retries in process.
    public override ValueTask<bool> TryRedeliverLaterAsync(TimeSpan delay, CancellationToken cancellationToken) => ValueTask.FromResult(false);

    public override async ValueTask RejectAsync(string reason, CancellationToken cancellationToken)
    {
        if (!Once())
        {
            return;
        }

        var properties = new BasicProperties(_properties)
        {
            Headers = new Dictionary<string, object?>(_properties.Headers ?? new Dictionary<string, object?>()) { [RejectedReasonHeader] = reason },
        };
        await _intake.RepublishAsync(_intake.Settings.RejectedQueue, properties, Body, cancellationToken);
        await _intake.AckAsync(_deliveryTag, _generation, cancellationToken);
    }

    public override async ValueTask ForwardUnhandledAsync(CancellationToken cancellationToken)
    {
        if (!Once())
        {
            return;
        }

        await _intake.RepublishAsync(_intake.Settings.FallbackQueue, new BasicProperties(_properties), Body, cancellationToken);
        await _intake.AckAsync(_deliveryTag, _generation, cancellationToken);
    }

    public override ValueTask HandBackAsync() =>
        Once() ? _intake.RequeueAsync(_deliveryTag, _generation) : ValueTask.CompletedTask;

    protected override void Dispose(bool disposing)
    {
        ArrayPool<byte>.Shared.Return(_body);
        base.Dispose(disposing);
    }

    private bool Once() => Interlocked.Exchange(ref _settled, 1) == 0;
}
