using AntennaIngest.Core.Metrics;
using AntennaIngest.Core.Processing;
using NATS.Client.Core;

namespace AntennaIngest.Nats.Acks;

/// <summary>
/// Acks an image task on its JetStream reply subject over the process's one connection. The ack
/// is sent as a request: JetStream answers an ack that carries a reply subject, which confirms it
/// was applied (Antenna's fire-and-forget publish cannot tell). "No responders" means the job's
/// consumer or stream is gone — normal for late duplicates — and is not an error. No answer
/// while the server does not answer a ping either is an outage, not an ack; no answer across a
/// reconnect sends the ack again. Many acks are in flight at once on the same connection.
/// </summary>
public sealed class NatsTaskAcknowledger : ITaskAcknowledger
{
    private static readonly byte[] s_ack = "+ACK"u8.ToArray();
    private static readonly byte[] s_terminate = "+TERM"u8.ToArray();
    private static readonly NatsSubOpts s_replyOptions = new() { Timeout = TimeSpan.FromSeconds(5), ThrowIfNoResponders = true };
    private readonly NatsConnection connection;
    private readonly IngestMetrics metrics;
    private long _disconnects;

    public NatsTaskAcknowledger(NatsConnection connection, IngestMetrics metrics)
    {
        this.connection = connection;
        this.metrics = metrics;
        connection.ConnectionDisconnected += (_, _) =>
        {
            Interlocked.Increment(ref _disconnects);
            return ValueTask.CompletedTask;
        };
    }

    public ValueTask<AckResult> AckAsync(string replySubject, CancellationToken cancellationToken) =>
        SendAsync(replySubject, s_ack, "ack", cancellationToken);

    // Servers before 2.10 take no reason after +TERM; the reason goes to the job log instead.
    public ValueTask<AckResult> TerminateAsync(string replySubject, string reason, CancellationToken cancellationToken) =>
        SendAsync(replySubject, s_terminate, "term", cancellationToken);

    private async ValueTask<AckResult> SendAsync(string replySubject, byte[] payload, string kind, CancellationToken cancellationToken)
    {
        AckResult result;
        try
        {
            var disconnects = Interlocked.Read(ref _disconnects);
            result = await RequestAsync(replySubject, payload, cancellationToken);
            if (result == AckResult.Unconfirmed)
            {
                // No answer. A link that swallows traffic without failing leaves the ack in a
                // buffer that a reset then drops (chaos net-partition-nats lost 8 of 24 acks that
                // way): when the server does not answer a ping, NATS is down and the task waits for
                // it and runs again; when the connection was lost since the ack was sent, the ack
                // is sent again over the new one (acks are idempotent). Otherwise the server got
                // it on a live connection and just did not answer.
                if (!await AnswersPingAsync(cancellationToken))
                {
                    metrics.NatsAcks.Increment(kind, "failed");
                    throw new DependencyUnavailableException("nats", $"{kind} unanswered and the server does not answer a ping");
                }

                if (Interlocked.Read(ref _disconnects) != disconnects)
                {
                    result = await RequestAsync(replySubject, payload, cancellationToken);
                }
            }
        }
        catch (NatsNoRespondersException)
        {
            result = AckResult.ConsumerGone;
        }
        catch (Exception e) when (e is NatsException or TimeoutException)
        {
            metrics.NatsAcks.Increment(kind, "failed");
            throw new DependencyUnavailableException("nats", e.Message, e);
        }

        metrics.NatsAcks.Increment(kind, result.ToString().ToLowerInvariant());
        return result;
    }

    private async ValueTask<AckResult> RequestAsync(string replySubject, byte[] payload, CancellationToken cancellationToken)
    {
        try
        {
            await connection.RequestAsync<byte[], byte[]>(
                replySubject,
                payload,
                requestSerializer: NatsRawSerializer<byte[]>.Default,
                replySerializer: NatsRawSerializer<byte[]>.Default,
                replyOpts: s_replyOptions,
                cancellationToken: cancellationToken);
            return AckResult.Confirmed;
        }
        catch (NatsNoReplyException)
        {
            return AckResult.Unconfirmed;
        }
    }

    private async ValueTask<bool> AnswersPingAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(s_replyOptions.Timeout!.Value);
        try
        {
            await connection.PingAsync(timeout.Token);
            return true;
        }
        catch (Exception e) when (e is NatsException or TimeoutException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return false;
        }
    }
}
