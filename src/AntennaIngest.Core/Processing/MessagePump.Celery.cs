using AntennaIngest.Core.Celery;
using Microsoft.Extensions.Logging;

namespace AntennaIngest.Core.Processing;

// Celery results and events for the settlement paths that end a task without a completed
// handler (rejected, expired, retries exhausted): best effort, since the message is settled
// regardless and a failing backend must not keep a dead task alive.
public sealed partial class MessagePump
{
    private async ValueTask ReportAsync(CeleryCall? call, Func<CeleryTaskReporter, CeleryCall, ValueTask> report)
    {
        if (call is null || _reporter is null)
        {
            return;
        }

        try
        {
            await report(_reporter, call);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            CeleryLog.ResultNotStored(_logger, call.Name, call.TaskId, e.Message);
        }
    }

    private static CeleryError ExhaustedError(Exception e) =>
        e is DependencyUnavailableException ? CeleryError.Unavailable(e.Message) : new CeleryError("Exception", "builtins", e.Message);

    private static partial class CeleryLog
    {
        [LoggerMessage(2015, LogLevel.Warning, "could not store the Celery result of {Task}[{TaskId}]: {Reason}")]
        public static partial void ResultNotStored(ILogger logger, string task, string taskId, string reason);
    }
}
