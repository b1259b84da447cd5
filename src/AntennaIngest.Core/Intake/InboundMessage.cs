namespace AntennaIngest.Core.Intake;

/// <summary>
/// One message taken from a broker, not yet settled. Intakes create these and hand them to the
/// pump without parsing anything; the pump decodes, processes and settles each exactly once:
/// ack (effects durable), redeliver later (transient failure), reject (can never succeed),
/// forward (a task this binary does not run) or hand back (shutdown).
/// </summary>
public abstract class InboundMessage : IDisposable
{
    /// <summary>"celery" or "jetstream"; the intake label of metrics and logs.</summary>
    public abstract string Intake { get; }

    /// <summary>Headers the decoder needs (Celery's task name, compression, eta, ...).</summary>
    public abstract MessageMetadata Metadata { get; }

    /// <summary>The body exactly as received (compressed if the metadata says so).</summary>
    public abstract ReadOnlyMemory<byte> Body { get; }

    /// <summary>Attempts before this delivery: Celery's `retries` header, or JetStream's deliveries − 1.</summary>
    public abstract int PriorAttempts { get; }

    /// <summary>When the intake received it (enqueue-to-ack latency starts here).</summary>
    public long ReceivedTimestamp { get; } = System.Diagnostics.Stopwatch.GetTimestamp();

    /// <summary>Effects are durable: remove the message from the broker.</summary>
    public abstract ValueTask AckAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Asks the broker to deliver the message again after <paramref name="delay"/> (JetStream
    /// NAK with delay) and returns true; returns false when the broker cannot, and the pump
    /// retries in process instead (AMQP, which has no delayed requeue).
    /// </summary>
    public abstract ValueTask<bool> TryRedeliverLaterAsync(TimeSpan delay, CancellationToken cancellationToken);

    /// <summary>The message can never be processed: dead-letter it (AMQP) or terminate it (JetStream).</summary>
    public abstract ValueTask RejectAsync(string reason, CancellationToken cancellationToken);

    /// <summary>A task this binary does not run: pass it on unchanged so a Celery worker can (AMQP only).</summary>
    public virtual ValueTask ForwardUnhandledAsync(CancellationToken cancellationToken) =>
        RejectAsync("not a pipeline result", cancellationToken);

    /// <summary>Processing is still going on: extend the broker's redelivery deadline (JetStream +WPI).</summary>
    public virtual ValueTask KeepAliveAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>Shutdown: give the message back unprocessed so another instance (or the next start) takes it.</summary>
    public abstract ValueTask HandBackAsync();

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Returns pooled buffers.</summary>
    protected virtual void Dispose(bool disposing)
    {
    }
}
