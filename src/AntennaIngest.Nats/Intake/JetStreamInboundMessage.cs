using AntennaIngest.Core.Intake;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace AntennaIngest.Nats.Intake;

/// <summary>One results message from the JetStream results stream, settled with JetStream's acks.</summary>
internal sealed class JetStreamInboundMessage(INatsJSMsg<NatsMemoryOwner<byte>> message) : InboundMessage
{
    private static readonly AckOpts s_confirmed = new() { DoubleAck = true };
    private int _settled;

    public override string Intake => "jetstream";

    public override MessageMetadata Metadata => MessageMetadata.None;

    public override ReadOnlyMemory<byte> Body => message.Data.Memory;

    public override int PriorAttempts => (int)Math.Max(0, (long)(message.Metadata?.NumDelivered ?? 1) - 1);

    // The ack waits for JetStream's answer: the message must not come back once we say it is done.
    public override ValueTask AckAsync(CancellationToken cancellationToken) =>
        Once() ? message.AckAsync(s_confirmed, cancellationToken) : ValueTask.CompletedTask;

    public override async ValueTask<bool> TryRedeliverLaterAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        if (Once())
        {
            await message.NakAsync(new AckOpts { NakDelay = delay }, cancellationToken);
        }

        return true;
    }

    // Plain +TERM: servers before 2.10 ignore a +TERM that carries a reason. The reason is logged.
    public override ValueTask RejectAsync(string reason, CancellationToken cancellationToken) =>
        Once() ? message.AckTerminateAsync(null, cancellationToken) : ValueTask.CompletedTask;

    public override ValueTask KeepAliveAsync(CancellationToken cancellationToken) =>
        Volatile.Read(ref _settled) == 0 ? message.AckProgressAsync(null, cancellationToken) : ValueTask.CompletedTask;

    public override ValueTask HandBackAsync() =>
        Once() ? message.NakAsync(null, CancellationToken.None) : ValueTask.CompletedTask;

    protected override void Dispose(bool disposing)
    {
        message.Data.Dispose();
        base.Dispose(disposing);
    }

    private bool Once() => Interlocked.Exchange(ref _settled, 1) == 0;
}
