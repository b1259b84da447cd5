using AntennaIngest.Core.Metrics;
using AntennaIngest.Core.Processing;
using NATS.Client.Core;

namespace AntennaIngest.Nats.Acks;

/// <summary>
/// Acks an image task on its JetStream reply subject over the process's one connection. The ack
/// is sent as a request: JetStream answers an ack that carries a reply subject, which confirms it
/// was applied (Antenna's fire-and-forget publish cannot tell). "No responders" means the job's
/// consumer or stream is gone — normal for late duplicates — and is not an error. Many acks are
/// in flight at once on the same connection.
/// </summary>
public sealed class NatsTaskAcknowledger(NatsConnection connection, IngestMetrics metrics) : ITaskAcknowledger
{
    private static readonly byte[] s_ack = "+ACK"u8.ToArray();
    private static readonly byte[] s_terminate = "+TERM"u8.ToArray();
    private static readonly NatsSubOpts s_replyOptions = new() { Timeout = TimeSpan.FromSeconds(5), ThrowIfNoResponders = true };

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
            await connection.RequestAsync<byte[], byte[]>(
                replySubject,
                payload,
                requestSerializer: NatsRawSerializer<byte[]>.Default,
                replySerializer: NatsRawSerializer<byte[]>.Default,
                replyOpts: s_replyOptions,
                cancellationToken: cancellationToken);
            result = AckResult.Confirmed;
        }
        catch (NatsNoRespondersException)
        {
            result = AckResult.ConsumerGone;
        }
        catch (NatsNoReplyException)
        {
            // Published and flushed; the server did not answer within the timeout.
            result = AckResult.Unconfirmed;
        }
        catch (Exception e) when (e is NatsException or TimeoutException)
        {
            metrics.NatsAcks.Increment(kind, "failed");
            throw new DependencyUnavailableException("nats", e.Message, e);
        }

        metrics.NatsAcks.Increment(kind, result.ToString().ToLowerInvariant());
        return result;
    }
}
