using System.Threading.Channels;
using AntennaIngest.Amqp.Connections;
using AntennaIngest.Core.Configuration;
using AntennaIngest.Core.Health;
using AntennaIngest.Core.Intake;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace AntennaIngest.Amqp.Intake;

/// <summary>
/// Consumes Antenna's Celery queue as a drop-in for the `celeryworker_ml` service: one
/// long-lived connection with automatic recovery, manual acks, prefetch equal to the in-flight
/// budget, the queue declared exactly as Celery declares it. Deliveries are handed to the
/// <see cref="IngestQueue"/> untouched; the connection stays open after intake stops so the
/// pump can still ack what it drains, and closes when the host is disposed.
/// </summary>
public sealed partial class CeleryIntake : IHostedService, IAsyncDisposable
{
    private static readonly TimeSpan s_reconnectDelay = TimeSpan.FromSeconds(2);

    private readonly IngestQueue _queue;
    private readonly Readiness _readiness;
    private readonly ILogger<CeleryIntake> _logger;
    private readonly ushort _prefetch;
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _publishLock = new(1, 1);
    private IConnection? _connection;
    private IChannel? _consumeChannel;
    private IChannel? _publishChannel;
    private string? _consumerTag;
    private long _generation;
    private volatile bool _consuming;
    private Task _run = Task.CompletedTask;

    public CeleryIntake(CelerySettings settings, ProcessingSettings processing, IngestQueue queue, Readiness readiness, ILogger<CeleryIntake> logger)
    {
        ArgumentNullException.ThrowIfNull(processing);
        Settings = settings;
        _queue = queue;
        _readiness = readiness;
        _logger = logger;
        _prefetch = (ushort)Math.Min(processing.MaxInFlight, ushort.MaxValue);
    }

    internal CelerySettings Settings { get; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _readiness.Register("rabbitmq", () => _consuming && _connection is { IsOpen: true });
        _run = ConnectAsync(_stopping.Token);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _run;
        _consuming = false;
        if (_consumeChannel is { IsOpen: true } channel && _consumerTag is { } tag)
        {
            try
            {
                // basic.cancel: no new deliveries; unacked ones stay ours until the pump settles them.
                await channel.BasicCancelAsync(tag, noWait: false, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(1), CancellationToken.None);
            }
            catch (Exception e) when (e is TimeoutException or OperationInterruptedException or AlreadyClosedException)
            {
                Log.CancelFailed(_logger, e);
            }
        }

        Log.Stopped(_logger, Settings.Queue);
    }

    public async ValueTask DisposeAsync()
    {
        _consuming = false;
        foreach (var channel in new[] { _consumeChannel, _publishChannel })
        {
            if (channel is not null)
            {
                await channel.DisposeAsync();
            }
        }

        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }

        _stopping.Dispose();
        _publishLock.Dispose();
    }

    internal async ValueTask AckAsync(ulong deliveryTag, long generation, CancellationToken cancellationToken)
    {
        if (generation != Interlocked.Read(ref _generation) || _consumeChannel is not { IsOpen: true } channel)
        {
            return; // delivered on a channel since lost: RabbitMQ has requeued it
        }

        await channel.BasicAckAsync(deliveryTag, multiple: false, cancellationToken);
    }

    internal async ValueTask RequeueAsync(ulong deliveryTag, long generation)
    {
        if (generation != Interlocked.Read(ref _generation) || _consumeChannel is not { IsOpen: true } channel)
        {
            return;
        }

        await channel.BasicNackAsync(deliveryTag, multiple: false, requeue: true, CancellationToken.None);
    }

    /// <summary>Publishes to <paramref name="queue"/> through the default exchange and commits it with the broker.</summary>
    internal async ValueTask RepublishAsync(string queue, BasicProperties properties, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var channel = _publishChannel ?? throw new InvalidOperationException("not connected to the broker");
        await _publishLock.WaitAsync(cancellationToken);
        try
        {
            await channel.BasicPublishAsync(string.Empty, queue, mandatory: false, properties, body, cancellationToken);
            await channel.TxCommitAsync(cancellationToken);
        }
        finally
        {
            _publishLock.Release();
        }
    }

    private async Task ConnectAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await SetUpAsync(cancellationToken);
                return;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is BrokerUnreachableException or OperationInterruptedException or IOException or TimeoutException or AlreadyClosedException)
            {
                Log.ConnectFailed(_logger, Settings.Redacted, s_reconnectDelay.TotalSeconds, e.Message);
                await CloseQuietlyAsync();
                try
                {
                    await Task.Delay(s_reconnectDelay, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task SetUpAsync(CancellationToken cancellationToken)
    {
        _connection = await AmqpConnector.CreateFactory(Settings).CreateConnectionAsync("antenna-ingest", cancellationToken);
        _connection.RecoverySucceededAsync += (_, _) =>
        {
            Log.Recovered(_logger, Settings.Queue);
            return Task.CompletedTask;
        };
        _consumeChannel = await _connection.CreateChannelAsync(cancellationToken: cancellationToken);
        _consumeChannel.ChannelShutdownAsync += (_, _) =>
        {
            Interlocked.Increment(ref _generation);
            return Task.CompletedTask;
        };
        await _consumeChannel.BasicQosAsync(0, _prefetch, global: false, cancellationToken);

        // Exactly Celery's declaration (durable, not exclusive, not auto-delete, no arguments):
        // anything else is PRECONDITION_FAILED against a queue Celery already declared.
        foreach (var queue in new[] { Settings.Queue, Settings.FallbackQueue, Settings.RejectedQueue })
        {
            await _consumeChannel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, arguments: null, cancellationToken: cancellationToken);
        }

        // Re-publishes (rejected, unhandled) go through an AMQP transaction: tx.commit returns once
        // the broker has taken the message. Publisher-confirm tracking would do the same but stamps
        // an x-dotnet-pub-seq-no header onto the message, and forwarded tasks must stay byte-identical.
        _publishChannel = await _connection.CreateChannelAsync(cancellationToken: cancellationToken);
        await _publishChannel.TxSelectAsync(cancellationToken);
        var consumer = new AsyncEventingBasicConsumer(_consumeChannel);
        consumer.ReceivedAsync += OnDeliveryAsync;
        _consumerTag = await _consumeChannel.BasicConsumeAsync(Settings.Queue, autoAck: false, consumer, cancellationToken);
        _consuming = true;
        Log.Consuming(_logger, Settings.Queue, Settings.Redacted, _prefetch);
    }

    private async Task OnDeliveryAsync(object sender, BasicDeliverEventArgs delivery)
    {
        var message = new CeleryInboundMessage(this, delivery.Body, delivery.DeliveryTag, Interlocked.Read(ref _generation), delivery.BasicProperties, delivery.RoutingKey);
        try
        {
            await _queue.EnqueueAsync(message, _stopping.Token);
        }
        catch (Exception e) when (e is ChannelClosedException or OperationCanceledException)
        {
            // Intake is stopping: give it straight back.
            await message.HandBackAsync();
            message.Dispose();
        }
    }

    private async Task CloseQuietlyAsync()
    {
        await AmqpConnector.DisposeQuietlyAsync(_connection);
        _connection = null;
        _consumeChannel = null;
        _publishChannel = null;
    }

    private static partial class Log
    {
        [LoggerMessage(6000, LogLevel.Information, "consuming Celery queue {Queue} on {Broker} (prefetch {Prefetch}, manual ack after effects)")]
        public static partial void Consuming(ILogger logger, string queue, string broker, int prefetch);

        [LoggerMessage(6001, LogLevel.Warning, "cannot reach broker {Broker}; retrying in {Seconds:0} s: {Reason}")]
        public static partial void ConnectFailed(ILogger logger, string broker, double seconds, string reason);

        [LoggerMessage(6002, LogLevel.Information, "broker connection recovered; consuming {Queue} again")]
        public static partial void Recovered(ILogger logger, string queue);

        [LoggerMessage(6003, LogLevel.Information, "stopped consuming {Queue}")]
        public static partial void Stopped(ILogger logger, string queue);

        [LoggerMessage(6004, LogLevel.Warning, "basic.cancel did not complete")]
        public static partial void CancelFailed(ILogger logger, Exception exception);
    }
}
