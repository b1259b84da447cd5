using System.Text;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace AntennaIngest.Testing;

/// <summary>
/// A job's NATS task stream as Antenna creates it (stream job_{id}, subject job.{id}.tasks,
/// durable pull consumer job-{id}-consumer: explicit ack, ack_wait NATS_TASK_TTR, max_deliver 2,
/// max_ack_pending 1000), filled with PipelineProcessingTask messages. Reserving tasks fetches
/// them the way the /tasks/ endpoint does, which yields real $JS.ACK reply subjects.
/// </summary>
public sealed class AntennaJobTasks(NatsConnection connection, long jobId)
{
    private readonly NatsJSContext _js = new(connection);

    public string StreamName => $"job_{jobId}";

    public string Subject => $"job.{jobId}.tasks";

    public string ConsumerName => $"job-{jobId}-consumer";

    public async Task CreateAsync(TimeSpan ackWait)
    {
        await _js.CreateStreamAsync(new StreamConfig(StreamName, [Subject]) { MaxAge = TimeSpan.FromDays(1) });
        await _js.CreateOrUpdateConsumerAsync(StreamName, new ConsumerConfig(ConsumerName)
        {
            AckPolicy = ConsumerConfigAckPolicy.Explicit,
            AckWait = ackWait,
            MaxDeliver = 2,
            MaxAckPending = 1000,
            DeliverPolicy = ConsumerConfigDeliverPolicy.All,
            FilterSubject = Subject,
        });
    }

    public async Task PublishTasksAsync(IEnumerable<(long ImageId, string Url)> images)
    {
        foreach (var (imageId, url) in images)
        {
            var body = $$"""{"id": "{{imageId}}", "image_id": "{{imageId}}", "image_url": "{{url}}", "reply_subject": null}""";
            var ack = await _js.PublishAsync(Subject, Encoding.UTF8.GetBytes(body));
            ack.EnsureSuccess();
        }
    }

    /// <summary>Fetches up to <paramref name="count"/> tasks; returns (image id, reply subject) pairs.</summary>
    public async Task<List<(string ImageId, string ReplySubject)>> ReserveAsync(int count)
    {
        var consumer = await _js.GetConsumerAsync(StreamName, ConsumerName);
        var reserved = new List<(string, string)>();
        await foreach (var message in consumer.FetchNoWaitAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = count }))
        {
            var text = Encoding.UTF8.GetString(message.Data ?? []);
            var marker = "\"image_id\": \"";
            var start = text.IndexOf(marker, StringComparison.Ordinal) + marker.Length;
            var end = text.IndexOf('"', start);
            reserved.Add((text[start..end], message.ReplyTo!));
        }

        return reserved;
    }

    public async Task<ConsumerInfo?> ConsumerInfoAsync()
    {
        try
        {
            var consumer = await _js.GetConsumerAsync(StreamName, ConsumerName);
            return consumer.Info;
        }
        catch (NatsJSApiException e) when (e.Error.Code == 404)
        {
            return null;
        }
    }

    public async Task<bool> StreamExistsAsync()
    {
        try
        {
            await _js.GetStreamAsync(StreamName);
            return true;
        }
        catch (NatsJSApiException e) when (e.Error.Code == 404)
        {
            return false;
        }
    }

    public async Task DeleteAsync()
    {
        try
        {
            await _js.DeleteStreamAsync(StreamName);
        }
        catch (NatsJSApiException e) when (e.Error.Code == 404)
        {
        }
    }
}
