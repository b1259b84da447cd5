using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using AntennaIngest.Testing;
using AntennaIngest.Workload.Generation;
using AntennaIngest.Workload.Setup;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using RabbitMQ.Client;

namespace AntennaIngest.Workload.Enqueue;

/// <summary>
/// Publishes each result as the Django view would (a Celery message on the results queue) and/or
/// as a JetStream results message, and notes when each was enqueued. Rate 0 enqueues as fast as
/// the brokers take it (a backlog); a positive rate paces the results evenly (open loop).
/// </summary>
public sealed class Enqueuer(ResultSource source, EnqueueSettings settings) : IAsyncDisposable
{
    private IConnection? _amqp;
    private IChannel? _channel;
    private NatsConnection? _nats;
    private NatsJSContext? _js;
    private readonly ResultBodyCache? _bodies = settings.BodyCache is { Length: > 0 } directory ? new ResultBodyCache(directory) : null;

    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        if (settings.Target is "celery" or "both")
        {
            var factory = new ConnectionFactory { Uri = new Uri(settings.BrokerUrl) };
            _amqp = await factory.CreateConnectionAsync("antenna-workload", cancellationToken);
            // Confirmed publishes (chaos): a message counts as enqueued only once the broker has it,
            // so a broker restart in the middle cannot silently drop one. They wait a round trip
            // per message, so the benchmark's paced runs go without.
            _channel = await _amqp.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: settings.Confirm, publisherConfirmationTrackingEnabled: settings.Confirm), cancellationToken);

            // Celery's own declaration of a routed queue: durable queue bound to a direct exchange of the same name.
            await _channel.ExchangeDeclareAsync(settings.Queue, ExchangeType.Direct, durable: true, autoDelete: false, cancellationToken: cancellationToken);
            await _channel.QueueDeclareAsync(settings.Queue, durable: true, exclusive: false, autoDelete: false, arguments: null, cancellationToken: cancellationToken);
            await _channel.QueueBindAsync(settings.Queue, settings.Queue, settings.Queue, cancellationToken: cancellationToken);
        }

        if (settings.Target is "jetstream" or "both")
        {
            _nats = ServiceClients.Nats(settings.NatsUrl, "antenna-workload-enqueue");
            _js = new NatsJSContext(_nats);
            try
            {
                await _js.GetStreamAsync(settings.ResultsStream, cancellationToken: cancellationToken);
            }
            catch (NatsJSApiException e) when (e.Error.Code == 404)
            {
                await _js.CreateStreamAsync(new StreamConfig(settings.ResultsStream, [settings.SubjectPrefix + ".>"]), cancellationToken);
            }
        }
    }

    /// <summary>
    /// Publishes every result; <paramref name="onEnqueued"/> gets each (reply subject, clock time in
    /// ns from <paramref name="clock"/>, bytes). Returns the expectations. A paced run takes its
    /// slots from <paramref name="pacer"/> when given (a schedule shared with other enqueuers),
    /// else from one of its own at the settings' rate.
    /// </summary>
    public async Task<Expectations> RunAsync(Func<long> clock, Action<string, long, int>? onEnqueued, CancellationToken cancellationToken, Pacer? pacer = null)
    {
        var results = new List<ExpectedResult>(source.Manifest.ImageCount);
        pacer ??= settings.Rate > 0 ? new Pacer(settings.Rate) : null;

        // Paced runs measure latency: generate every message first, so that building and
        // compressing them does not compete with the contender for the CPU during the run.
        IAsyncEnumerable<Prepared> messages = pacer is not null ? (await Prepare(cancellationToken).ToListAsync(cancellationToken)).ToAsyncEnumerable() : Prepare(cancellationToken);
        await foreach (var (expected, reply, bytes, message, adc) in messages)
        {
            results.Add(expected);
            if (pacer is not null)
            {
                await pacer.WaitTurnAsync(cancellationToken);
            }

            var now = clock();
            if (message is not null)
            {
                await PublishCeleryAsync(message, cancellationToken);
            }

            if (adc is not null)
            {
                var ack = await _js!.PublishAsync(string.Create(CultureInfo.InvariantCulture, $"{settings.SubjectPrefix}.{expected.Job}"), adc, cancellationToken: cancellationToken);
                ack.EnsureSuccess();
            }

            onEnqueued?.Invoke(reply, now, bytes);
        }

        return new Expectations(source.Seed, settings.Target, results);
    }

    // Building and compressing a message costs milliseconds of CPU (a mean of ~190 KB of JSON,
    // deflated as kombu does); a 10,000-result backlog took 90 s on one core. Messages are built on
    // every core, at most a few per core ahead of the publisher, and come out in enqueue order.
    private async IAsyncEnumerable<Prepared> Prepare([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var ahead = Channel.CreateBounded<Task<Prepared>>(4 * Environment.ProcessorCount);
        var producer = Task.Run(
            async () =>
            {
                try
                {
                    var index = 0;
                    foreach (var (job, image) in source.Order())
                    {
                        if (settings.Limit > 0 && index++ >= settings.Limit)
                        {
                            break;
                        }

                        await ahead.Writer.WriteAsync(Task.Run(() => Build(job, image), cancellationToken), cancellationToken);
                    }
                }
                finally
                {
                    ahead.Writer.Complete();
                }
            },
            cancellationToken);

        await foreach (var building in ahead.Reader.ReadAllAsync(cancellationToken))
        {
            yield return await building;
        }

        await producer;
    }

    private Prepared Build(JobPlan job, ImagePlan image)
    {
        var spec = source.Spec(job, image);
        var adc = _js is null ? null : JetStreamBody(job.Id, image.ReplySubject, source.Json(spec, image, ResultShape.Adc));
        var taskId = TaskId(job.Index, image.Index);
        int bytes;
        CeleryMessage? message = null;
        if (_bodies is not null && _channel is not null)
        {
            (var resultData, bytes) = _bodies.GetOrAdd(source.CacheKey(job, image), () => source.Json(spec, image, ResultShape.Celery));
            message = CeleryMessage.ProcessResult(job.Id, resultData, image.ReplySubject, taskId);
        }
        else
        {
            var celery = source.Json(spec, image, ResultShape.Celery);
            bytes = celery.Length;
            message = _channel is null ? null : CeleryMessage.ProcessResult(job.Id, celery, image.ReplySubject, taskId: taskId, validate: false);
        }

        return new Prepared(ResultSource.Expect(job, image, spec, bytes), image.ReplySubject, bytes, message, adc);
    }

    private sealed record Prepared(ExpectedResult Expected, string Reply, int Bytes, CeleryMessage? Celery, byte[]? Adc);

    // A broker restart closes the connection: reconnect and publish again (at most a minute).
    private async Task PublishCeleryAsync(CeleryMessage message, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if (_channel is null)
                {
                    await ConnectAsync(cancellationToken);
                }

                await message.PublishAsync(_channel!, settings.Queue);
                return;
            }
            catch (Exception e) when (e is RabbitMQ.Client.Exceptions.AlreadyClosedException or RabbitMQ.Client.Exceptions.OperationInterruptedException
                or RabbitMQ.Client.Exceptions.BrokerUnreachableException or RabbitMQ.Client.Exceptions.PublishException or IOException
                && deadline.Elapsed < TimeSpan.FromMinutes(1))
            {
                await DisposeAmqpAsync();
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
        }
    }

    // Also after a broker restart, when both are already closed.
    private async Task DisposeAmqpAsync()
    {
        try
        {
            if (_channel is not null)
            {
                await _channel.DisposeAsync();
            }

            if (_amqp is not null)
            {
                await _amqp.DisposeAsync();
            }
        }
        catch (Exception e) when (e is RabbitMQ.Client.Exceptions.AlreadyClosedException or IOException)
        {
        }

        (_channel, _amqp) = (null, null);
    }

    /// <summary>Messages waiting in the Celery queue (to confirm a backlog arrived before a contender starts).</summary>
    public async Task<uint> QueueDepthAsync(CancellationToken cancellationToken) =>
        _channel is null ? 0 : (await _channel.QueueDeclarePassiveAsync(settings.Queue, cancellationToken)).MessageCount;

    public async ValueTask DisposeAsync()
    {
        await DisposeAmqpAsync();
        if (_nats is not null)
        {
            await _nats.DisposeAsync();
        }
    }

    /// <summary>A reproducible task id per result (a uuid-shaped string, as Celery's).</summary>
    public static string TaskId(int jobIndex, int imageIndex)
    {
        var a = (uint)ResultGenerator.Mix(jobIndex, imageIndex, 7);
        var b = (uint)ResultGenerator.Mix(imageIndex, jobIndex, 11);
        return string.Create(CultureInfo.InvariantCulture, $"{a:x8}-{b >> 16:x4}-4{b & 0xfff:x3}-8{jobIndex & 0xfff:x3}-{imageIndex:x12}");
    }

    private static byte[] JetStreamBody(long jobId, string replySubject, byte[] result)
    {
        var buffer = new ArrayBufferWriter<byte>(result.Length + 256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("job_id", jobId);
            writer.WriteString("reply_subject", replySubject);
            writer.WritePropertyName("result");
            writer.WriteRawValue(result, skipInputValidation: true);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}

/// <param name="BodyCache">A folder where result JSON is kept compressed between runs of one benchmark (Celery target only); none when empty.</param>
public sealed record EnqueueSettings(string Target, string BrokerUrl, string Queue, string NatsUrl, string ResultsStream, string SubjectPrefix, double Rate, int Limit, bool Confirm = false, string BodyCache = "");
