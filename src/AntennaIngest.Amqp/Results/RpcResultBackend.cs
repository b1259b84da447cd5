using AntennaIngest.Amqp.Intake;
using AntennaIngest.Core.Celery;
using AntennaIngest.Core.Processing;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace AntennaIngest.Amqp.Results;

/// <summary>
/// Celery's rpc:// result backend: the result is a message to the client's reply_to queue through
/// the default exchange, correlation_id = the task id, transient (result_persistent is unset).
/// A task sent without reply_to gets no result, as in Celery. Published on the intake's
/// connection and committed before the task is acked.
/// </summary>
public sealed class RpcResultBackend(CeleryIntake intake) : ICeleryResultBackend
{
    public async ValueTask StoreAsync(CeleryCall task, CeleryState state, CeleryError? failure, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        if (string.IsNullOrEmpty(task.Envelope.ReplyTo))
        {
            return;
        }

        var properties = new BasicProperties
        {
            ContentType = "application/json",
            ContentEncoding = "utf-8",
            CorrelationId = task.Envelope.CorrelationId ?? task.TaskId,
            DeliveryMode = DeliveryModes.Transient,
        };
        try
        {
            await intake.RepublishAsync(task.Envelope.ReplyTo, properties, CeleryResultJson.ForRpcBackend(task, state, failure), cancellationToken);
        }
        catch (Exception e) when (e is AlreadyClosedException or OperationInterruptedException or IOException or InvalidOperationException)
        {
            throw new DependencyUnavailableException("rabbitmq", e.Message, e);
        }
    }
}
