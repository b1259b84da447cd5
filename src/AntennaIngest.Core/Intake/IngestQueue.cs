using System.Threading.Channels;

namespace AntennaIngest.Core.Intake;

/// <summary>
/// The bounded hand-off between the intakes and the pump. Broker credit (AMQP prefetch,
/// JetStream fetch size) never exceeds <see cref="Capacity"/>, so writers rarely wait; when they
/// do, that is back-pressure to the broker, never a dropped message.
/// </summary>
public sealed class IngestQueue
{
    private readonly Channel<InboundMessage> _channel;

    public IngestQueue(int capacity)
    {
        Capacity = capacity;
        _channel = Channel.CreateBounded<InboundMessage>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = false,
            SingleWriter = false,
        });
    }

    public int Capacity { get; }

    public ChannelReader<InboundMessage> Reader => _channel.Reader;

    public ValueTask EnqueueAsync(InboundMessage message, CancellationToken cancellationToken) =>
        _channel.Writer.WriteAsync(message, cancellationToken);

    /// <summary>No more messages will come (all intakes stopped); the pump drains what is left.</summary>
    public void Complete() => _channel.Writer.TryComplete();
}
