using System.Globalization;
using System.Reflection;
using System.Threading.Channels;
using AntennaIngest.Amqp.Connections;
using AntennaIngest.Core.Celery;
using AntennaIngest.Core.Configuration;
using AntennaIngest.Core.Metrics;
using AntennaIngest.Core.Processing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace AntennaIngest.Amqp.Events;

/// <summary>
/// Sends Celery events to the `celeryev` topic exchange as a Celery worker's EventDispatcher does
/// (json, transient, header `hostname`, routing key = type with dots), plus worker-online, a
/// worker-heartbeat every 2 s and worker-offline, so Flower lists this binary as a worker.
/// Its own connection and a bounded buffer: a slow or absent broker drops events (counted),
/// never delays a task.
/// </summary>
public sealed partial class CeleryEventPublisher : IHostedService, ICeleryEventSink, IAsyncDisposable
{
    public const string Exchange = "celeryev";
    private const int BufferCapacity = 4096;
    private const double HeartbeatSeconds = 2.0; // Celery's default heartbeat interval
    private static readonly TimeSpan s_reconnectDelay = TimeSpan.FromSeconds(2);

    private readonly CelerySettings _settings;
    private readonly CeleryEventJson _json;
    private readonly CeleryWorkerStats _stats;
    private readonly IngestMetrics _metrics;
    private readonly ILogger<CeleryEventPublisher> _logger;
    private readonly Channel<(string Type, byte[] Body)> _buffer =
        Channel.CreateBounded<(string, byte[])>(new BoundedChannelOptions(BufferCapacity) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private readonly string _version = typeof(CeleryEventPublisher).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0";
    private IConnection? _connection;
    private IChannel? _channel;
    private Task _send = Task.CompletedTask;
    private Task _heartbeat = Task.CompletedTask;

    public CeleryEventPublisher(CelerySettings settings, CeleryEventJson json, CeleryWorkerStats stats, IngestMetrics metrics, ILogger<CeleryEventPublisher> logger)
    {
        _settings = settings;
        _json = json;
        _stats = stats;
        _metrics = metrics;
        _logger = logger;
    }

    public bool TryPublish(string type, byte[] body)
    {
        if (_buffer.Writer.TryWrite((type, body)))
        {
            return true;
        }

        _metrics.CeleryEvents.Increment("dropped");
        return false;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        TryPublish("worker-online", WorkerEvent("worker-online"));
        _send = SendAsync(_stopping.Token);
        _heartbeat = HeartbeatAsync(_stopping.Token);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await Task.WhenAll(_send, _heartbeat);
        if (_channel is { IsOpen: true } channel)
        {
            try
            {
                // Celery sends worker-offline without retry: one attempt, briefly.
                await PublishAsync(channel, "worker-offline", WorkerEvent("worker-offline"), CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(1), CancellationToken.None);
            }
            catch (Exception e) when (e is TimeoutException or OperationInterruptedException or AlreadyClosedException or IOException)
            {
                _metrics.CeleryEvents.Increment("dropped");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await CloseAsync();
        _stopping.Dispose();
    }

    private async Task SendAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (await _buffer.Reader.WaitToReadAsync(cancellationToken))
            {
                var channel = await ConnectedChannelAsync(cancellationToken);
                while (_buffer.Reader.TryRead(out var item))
                {
                    try
                    {
                        await PublishAsync(channel, item.Type, item.Body, cancellationToken);
                        _metrics.CeleryEvents.Increment("sent");
                    }
                    catch (Exception e) when (e is OperationInterruptedException or AlreadyClosedException or IOException)
                    {
                        _metrics.CeleryEvents.Increment("dropped");
                        Log.SendFailed(_logger, e.Message);
                        await CloseAsync();
                        break;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    // While the broker is unreachable the buffer fills and further events are dropped (counted).
    private async ValueTask<IChannel> ConnectedChannelAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_channel is { IsOpen: true } open)
            {
                return open;
            }

            try
            {
                await CloseAsync();
                _connection = await AmqpConnector.CreateFactory(_settings).CreateConnectionAsync("antenna-ingest events", cancellationToken);
                var channel = await _connection.CreateChannelAsync(cancellationToken: cancellationToken);
                // kombu's Exchange('celeryev', type='topic') defaults: durable, not auto-delete.
                await channel.ExchangeDeclareAsync(Exchange, ExchangeType.Topic, durable: true, autoDelete: false, cancellationToken: cancellationToken);
                _channel = channel;
                return channel;
            }
            catch (Exception e) when (e is BrokerUnreachableException or OperationInterruptedException or IOException or TimeoutException or AlreadyClosedException)
            {
                Log.ConnectFailed(_logger, _settings.Redacted, e.Message);
                await Task.Delay(s_reconnectDelay, cancellationToken);
            }
        }
    }

    private ValueTask PublishAsync(IChannel channel, string type, byte[] body, CancellationToken cancellationToken)
    {
        var properties = new BasicProperties
        {
            ContentType = "application/json",
            ContentEncoding = "utf-8",
            DeliveryMode = DeliveryModes.Transient,
            Headers = new Dictionary<string, object?> { ["hostname"] = _json.Hostname },
        };
        return channel.BasicPublishAsync(Exchange, CeleryEventJson.RoutingKey(type), mandatory: false, properties, body, cancellationToken);
    }

    private async Task HeartbeatAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(HeartbeatSeconds));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                TryPublish("worker-heartbeat", WorkerEvent("worker-heartbeat"));
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private byte[] WorkerEvent(string type) =>
        _json.Worker(type, DateTimeOffset.UtcNow, HeartbeatSeconds, _stats.Active, _stats.Processed, LoadAverage(), _version);

    private static double[] LoadAverage()
    {
        try
        {
            var fields = File.ReadAllText("/proc/loadavg").Split(' ', 4);
            return [Parse(fields[0]), Parse(fields[1]), Parse(fields[2])];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or IndexOutOfRangeException or FormatException)
        {
            return [0, 0, 0];
        }

        static double Parse(string text) => double.Parse(text, CultureInfo.InvariantCulture);
    }

    private async Task CloseAsync()
    {
        await AmqpConnector.DisposeQuietlyAsync(_connection);
        _connection = null;
        _channel = null;
    }

    private static partial class Log
    {
        [LoggerMessage(6010, LogLevel.Warning, "Celery events: cannot reach broker {Broker} ({Reason}); events are dropped until it answers")]
        public static partial void ConnectFailed(ILogger logger, string broker, string reason);

        [LoggerMessage(6011, LogLevel.Warning, "Celery events: publish failed ({Reason}); reconnecting")]
        public static partial void SendFailed(ILogger logger, string reason);
    }
}
