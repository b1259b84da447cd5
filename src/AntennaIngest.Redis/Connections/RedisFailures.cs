using AntennaIngest.Core.Processing;
using StackExchange.Redis;

namespace AntennaIngest.Redis.Connections;

/// <summary>
/// Which Redis failures may pass, in one place for every adapter: the connection is down or slow,
/// the multiplexer is being replaced, or the server answers that it cannot serve yet (loading its
/// data set, running a long script, a read-only replica during failover). Everything else (a
/// wrong type, a script error) is a bug and is left to fail loudly.
/// </summary>
public static class RedisFailures
{
    public static bool IsTransient(Exception exception) =>
        exception is RedisConnectionException or RedisTimeoutException or TimeoutException or ObjectDisposedException
        || (exception is RedisServerException server && IsTransientServerError(server.Message));

    /// <summary>The exception callers treat as "Redis is unavailable, retry later".</summary>
    public static DependencyUnavailableException Unavailable(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return new DependencyUnavailableException("redis", exception.Message, exception);
    }

    /// <summary>Runs one Redis operation, turning transient failures into <see cref="DependencyUnavailableException"/>.</summary>
    public static async Task<T> GuardAsync<T>(Func<Task<T>> operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        try
        {
            return await operation();
        }
        catch (Exception e) when (IsTransient(e))
        {
            throw Unavailable(e);
        }
    }

    /// <inheritdoc cref="GuardAsync{T}(Func{Task{T}})"/>
    public static async Task GuardAsync(Func<Task> operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        try
        {
            await operation();
        }
        catch (Exception e) when (IsTransient(e))
        {
            throw Unavailable(e);
        }
    }

    // Error prefixes of a server that is up but cannot answer this command now. EXECABORT: a
    // MULTI whose queued commands the server refused, seen while Redis was still LOADING after a
    // restart (chaos restart-redis: six results dropped after their retries); nothing of a
    // discarded transaction was applied, so it is safe to run again.
    private static bool IsTransientServerError(string message) =>
        message.StartsWith("LOADING", StringComparison.Ordinal)
        || message.StartsWith("EXECABORT", StringComparison.Ordinal)
        || message.StartsWith("BUSY", StringComparison.Ordinal)
        || message.StartsWith("READONLY", StringComparison.Ordinal)
        || message.StartsWith("TRYAGAIN", StringComparison.Ordinal)
        || message.StartsWith("MASTERDOWN", StringComparison.Ordinal);
}
