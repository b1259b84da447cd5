namespace AntennaIngest.Core.Processing;

/// <summary>
/// How a task ended when it did not throw: the label of metrics and logs ("saved",
/// "error_result", ...) and, when the task failed for good, why — what Antenna's task would
/// have raised, stored as the Celery result's FAILURE.
/// </summary>
public readonly record struct TaskOutcome(string Label, string? FailureReason = null)
{
    public bool Failed => FailureReason is not null;

    public static TaskOutcome Failure(string label, string reason) => new(label, reason);

    public static implicit operator TaskOutcome(string label) => new(label);

    public override string ToString() => Label;
}
