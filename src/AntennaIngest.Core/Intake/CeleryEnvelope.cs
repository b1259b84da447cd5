namespace AntennaIngest.Core.Intake;

/// <summary>
/// The parts of a Celery delivery that its worker writes back into the task's result and events
/// (result_extended fields, the rpc:// reply address, task-received fields).
/// </summary>
/// <param name="RoutingKey">delivery_info.routing_key, stored as the result's `queue`.</param>
/// <param name="ReplyTo">AMQP reply_to: the rpc:// backend's reply queue.</param>
/// <param name="CorrelationId">AMQP correlation_id (Celery sets it to the task id).</param>
/// <param name="ParentId">`parent_id` header: the task that sent this one (run_job for sync jobs).</param>
/// <param name="RootId">`root_id` header.</param>
/// <param name="GroupId">`group` header.</param>
/// <param name="ArgsRepr">`argsrepr` header: the client's repr of args, shown by task-received.</param>
/// <param name="KwargsRepr">`kwargsrepr` header.</param>
public sealed record CeleryEnvelope(
    string? RoutingKey,
    string? ReplyTo,
    string? CorrelationId,
    string? ParentId,
    string? RootId,
    string? GroupId,
    string? ArgsRepr,
    string? KwargsRepr);
