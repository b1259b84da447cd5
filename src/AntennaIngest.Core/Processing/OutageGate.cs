using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace AntennaIngest.Core.Processing;

/// <summary>Asks a dependency whether it answers right now (a connection and a trivial request, with a short timeout).</summary>
public interface IDependencyProbe
{
    ValueTask<bool> IsAvailableAsync(string dependency, CancellationToken cancellationToken);
}

/// <summary>
/// Tells an outage of a dependency (server restarting, pgbouncer refusing logins) from a failure
/// of one task. Celery's retry budget is for the task: five retries spread over about 15 s are
/// used up by a PostgreSQL restart behind pgbouncer (server_login_retry alone is 15 s), and the
/// image's GPU work would be repeated. So after a dependency failure the pump first asks here:
/// while the dependency does not answer, every task waits for it together (one probe per second
/// for all of them), and that wait costs no retry.
/// </summary>
public sealed partial class OutageGate(IDependencyProbe probe, ILogger logger)
{
    private static readonly TimeSpan s_probeInterval = TimeSpan.FromSeconds(1);
    private readonly ConcurrentDictionary<string, Lazy<Task<bool>>> _checks = new(StringComparer.Ordinal);

    /// <summary>
    /// True when <paramref name="dependency"/> was down and answers again: the failure was the
    /// outage's. False when it answers at once: the failure was the task's own.
    /// </summary>
    public Task<bool> WaitOutAsync(string dependency, CancellationToken cancellationToken)
    {
        var check = _checks.GetOrAdd(dependency, name => new Lazy<Task<bool>>(() => WatchAsync(name, cancellationToken)));
        return check.Value.WaitAsync(cancellationToken);
    }

    private async Task<bool> WatchAsync(string dependency, CancellationToken cancellationToken)
    {
        var since = DateTime.UtcNow;
        var down = false;
        try
        {
            while (!await AnswersAsync(dependency, cancellationToken))
            {
                if (!down)
                {
                    Log.Down(logger, dependency);
                    down = true;
                }

                await Task.Delay(s_probeInterval, cancellationToken);
            }

            if (down)
            {
                Log.Back(logger, dependency, (DateTime.UtcNow - since).TotalSeconds);
            }

            return down;
        }
        finally
        {
            _checks.TryRemove(dependency, out _);
        }
    }

    private async Task<bool> AnswersAsync(string dependency, CancellationToken cancellationToken)
    {
        try
        {
            return await probe.IsAvailableAsync(dependency, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(2013, LogLevel.Warning, "{Dependency} does not answer: tasks that need it wait for it without using up their retries")]
        public static partial void Down(ILogger logger, string dependency);

        [LoggerMessage(2014, LogLevel.Information, "{Dependency} answers again after {Seconds:0.0} s; waiting tasks resume")]
        public static partial void Back(ILogger logger, string dependency, double seconds);
    }
}
