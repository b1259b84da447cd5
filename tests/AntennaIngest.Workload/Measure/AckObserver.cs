using System.Text;
using NATS.Client.Core;

namespace AntennaIngest.Workload.Measure;

/// <summary>
/// A core NATS subscriber on the ack subjects of the run's job streams (`$JS.ACK.job_{id}.>`,
/// the shared server carries other runs' acks too): sees every acknowledgement a contender
/// publishes (fire-and-forget or as a request) whether or not JetStream still has the consumer,
/// and timestamps the first settling ack per reply subject with the harness clock.
/// </summary>
public sealed class AckObserver : IAsyncDisposable
{
    private readonly Dictionary<string, long> _firstAck = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _kinds = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly Func<long> _clock;
    private readonly NatsConnection _connection;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private long _lastAckNs;

    public AckObserver(NatsConnection connection, Func<long> clock)
    {
        _connection = connection;
        _clock = clock;
    }

    public int Acked
    {
        get
        {
            lock (_lock)
            {
                return _firstAck.Count;
            }
        }
    }

    public long LastAckNs => Interlocked.Read(ref _lastAckNs);

    public async Task StartAsync(IEnumerable<string> streams, CancellationToken cancellationToken)
    {
        foreach (var stream in streams)
        {
            var subscription = await _connection.SubscribeCoreAsync<byte[]>($"$JS.ACK.{stream}.>", cancellationToken: cancellationToken);
            _loops.Add(ConsumeAsync(subscription));
        }

        // The server has the subscription once it answers a ping sent after it.
        await _connection.PingAsync(cancellationToken);
    }

    /// <summary>First +ACK/+TERM time per reply subject, and how many acks of each kind were seen.</summary>
    public (Dictionary<string, long> FirstAck, Dictionary<string, int> Kinds) Snapshot()
    {
        lock (_lock)
        {
            return (new Dictionary<string, long>(_firstAck, StringComparer.Ordinal), new Dictionary<string, int>(_kinds, StringComparer.Ordinal));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await Task.WhenAll(_loops);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task ConsumeAsync(INatsSub<byte[]> subscription)
    {
        await using (subscription)
        {
            await foreach (var message in subscription.Msgs.ReadAllAsync(_stop.Token))
            {
                var now = _clock();
                var kind = Kind(message.Data);
                lock (_lock)
                {
                    _kinds[kind] = _kinds.GetValueOrDefault(kind) + 1;

                    // +ACK and +TERM settle a task; +WPI/+NAK do not.
                    if (kind is "+ACK" or "+TERM" && _firstAck.TryAdd(message.Subject, now))
                    {
                        Interlocked.Exchange(ref _lastAckNs, now);
                    }
                }
            }
        }
    }

    private static string Kind(byte[]? data)
    {
        if (data is null || data.Length == 0)
        {
            return "+ACK";
        }

        var text = Encoding.ASCII.GetString(data, 0, Math.Min(data.Length, 8));
        foreach (var kind in new[] { "+ACK", "+TERM", "+NAK", "+WPI", "+NXT" })
        {
            if (text.StartsWith(kind, StringComparison.Ordinal))
            {
                return kind;
            }
        }

        return "other";
    }
}
