using System.Threading.Channels;
using AntennaIngest.Core.Configuration;
using AntennaIngest.Core.Health;
using AntennaIngest.Core.Intake;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace AntennaIngest.Nats.Intake;

/// <summary>
/// The native results intake: a durable pull consumer shared by every instance on a results
/// stream, consumed as raw bytes (the client's JSON serializer is never used). Pull credit never
/// exceeds the in-flight budget.
/// </summary>
public sealed partial class JetStreamIntake(
    NatsConnection connection,
    NatsSettings settings,
    ProcessingSettings processing,
    IngestQueue queue,
    Readiness readiness,
    ILogger<JetStreamIntake> logger) : IHostedService, IDisposable
{
    private static readonly TimeSpan s_retryDelay = TimeSpan.FromSeconds(2);
    private readonly CancellationTokenSource _stopping = new();
    private volatile bool _consuming;
    private Task _run = Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        readiness.Register("jetstream", () => _consuming && connection.ConnectionState == NatsConnectionState.Open);
        _run = RunAsync(_stopping.Token);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _run;
        _consuming = false;
        Log.Stopped(logger, settings.ResultsStream);
    }

    public void Dispose() => _stopping.Dispose();

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var js = new NatsJSContext(connection);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await js.CreateOrUpdateStreamAsync(new StreamConfig(settings.ResultsStream, [settings.ResultsSubject]), cancellationToken);
                var consumer = await js.CreateOrUpdateConsumerAsync(settings.ResultsStream, new ConsumerConfig(settings.ResultsConsumer)
                {
                    AckPolicy = ConsumerConfigAckPolicy.Explicit,
                    AckWait = settings.TaskTtr,
                    MaxDeliver = settings.ResultsMaxDeliver,
                    MaxAckPending = processing.MaxInFlight,
                    DeliverPolicy = ConsumerConfigDeliverPolicy.All,
                }, cancellationToken);
                _consuming = true;
                Log.Consuming(logger, settings.ResultsStream, settings.ResultsConsumer);
                var options = new NatsJSConsumeOpts { MaxMsgs = Math.Min(processing.MaxInFlight, 1000) };
                await foreach (var message in consumer.ConsumeAsync(NatsRawSerializer<NatsMemoryOwner<byte>>.Default, options, cancellationToken))
                {
                    var inbound = new JetStreamInboundMessage(message);
                    try
                    {
                        await queue.EnqueueAsync(inbound, cancellationToken);
                    }
                    catch (Exception e) when (e is ChannelClosedException or OperationCanceledException)
                    {
                        await inbound.HandBackAsync();
                        inbound.Dispose();
                        return;
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NatsException or TimeoutException)
            {
                _consuming = false;
                Log.ConsumeFailed(logger, settings.ResultsStream, s_retryDelay.TotalSeconds, e.Message);
                try
                {
                    await Task.Delay(s_retryDelay, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(5000, LogLevel.Information, "consuming JetStream stream {Stream} with durable consumer {Consumer}")]
        public static partial void Consuming(ILogger logger, string stream, string consumer);

        [LoggerMessage(5001, LogLevel.Warning, "JetStream intake on {Stream} failed; retrying in {Seconds:0} s: {Reason}")]
        public static partial void ConsumeFailed(ILogger logger, string stream, double seconds, string reason);

        [LoggerMessage(5002, LogLevel.Information, "stopped consuming JetStream stream {Stream}")]
        public static partial void Stopped(ILogger logger, string stream);
    }
}
