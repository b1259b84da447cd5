using System.Globalization;
using AntennaIngest.Core.Processing;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace AntennaIngest.Nats.Cleanup;

/// <summary>
/// The NATS half of Antenna's cleanup_async_job_resources: the job's consumer (its statistics
/// first, for the job log), its task stream and its DLQ consumer on the advisories stream, each
/// attempted whatever happened to the one before, as Antenna does. Errors are reported, never
/// thrown: the resources expire on their own (24-hour stream).
/// </summary>
public sealed class NatsJobTaskQueue(NatsConnection connection) : IJobTaskQueue
{
    private const string AdvisoriesStream = "advisories";
    private readonly NatsJSContext _js = new(connection);

    public async ValueTask<TaskQueueDeletion> DeleteAsync(long jobId, CancellationToken cancellationToken)
    {
        var stream = $"job_{jobId}";
        var consumer = $"job-{jobId}-consumer";
        var stats = await TryAsync(async () => Describe((await _js.GetConsumerAsync(stream, consumer, cancellationToken)).Info));
        var consumerDeleted = await TryAsync(async () => Deleted(await _js.DeleteConsumerAsync(stream, consumer, cancellationToken)));
        var streamDeleted = await TryAsync(async () => Deleted(await _js.DeleteStreamAsync(stream, cancellationToken)));
        var deadLetter = await TryAsync(async () => Deleted(await _js.DeleteConsumerAsync(AdvisoriesStream, $"job-{jobId}-dlq", cancellationToken)));
        // A DLQ consumer that never existed (no image ever hit max deliveries) counts as cleaned up.
        return new TaskQueueDeletion(stats.Value, consumerDeleted.Error, streamDeleted.Error, deadLetter.Error is null || deadLetter.NotFound);
    }

    // nats-py's ConsumerInfo as Antenna formats it: consumer sequences.
    private static string Describe(ConsumerInfo info) => string.Create(CultureInfo.InvariantCulture,
        $"delivered={info.Delivered.ConsumerSeq} ack_floor={info.AckFloor.ConsumerSeq} num_pending={info.NumPending} " +
        $"num_ack_pending={info.NumAckPending} num_redelivered={info.NumRedelivered}");

    private static string Deleted(bool deleted) => deleted ? string.Empty : throw new InvalidOperationException("the server did not confirm the deletion");

    private static async Task<Attempt> TryAsync(Func<Task<string>> operation)
    {
        try
        {
            return new Attempt(await operation(), null, false);
        }
        catch (NatsJSApiException e)
        {
            return new Attempt(null, ApiError(e.Error), e.Error.Code == 404);
        }
        catch (Exception e) when (e is NatsException or TimeoutException or OperationCanceledException or InvalidOperationException)
        {
            return new Attempt(null, e.Message, false);
        }
    }

    /// <summary>The error as nats-py prints it in Antenna's log, e.g. <c>nats: NotFoundError: code=404 err_code=10059 description='stream not found'</c>.</summary>
    public static string ApiError(ApiError error)
    {
        var kind = error.Code switch
        {
            400 => "BadRequestError",
            404 => "NotFoundError",
            500 => "ServerError",
            503 => "ServiceUnavailableError",
            _ => "APIError",
        };
        return string.Create(CultureInfo.InvariantCulture, $"nats: {kind}: code={error.Code} err_code={error.ErrCode} description='{error.Description}'");
    }

    private readonly record struct Attempt(string? Value, string? Error, bool NotFound);
}
