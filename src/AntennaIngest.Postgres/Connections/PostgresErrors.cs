using AntennaIngest.Core.Processing;
using Npgsql;

namespace AntennaIngest.Postgres.Connections;

/// <summary>Which database errors may pass by themselves (and are retried) and which never will.</summary>
public static class PostgresErrors
{
    public static bool IsTransient(Exception exception) => exception switch
    {
        PostgresException postgres => postgres.IsTransient
            || postgres.SqlState is "40001" or "40P01" or "53300" or "57P01" or "57P02" or "57P03" or "55P03"
            || postgres.SqlState.StartsWith("08", StringComparison.Ordinal),
        NpgsqlException npgsql => npgsql.IsTransient || npgsql.InnerException is IOException or System.Net.Sockets.SocketException or TimeoutException,
        TimeoutException or IOException or System.Net.Sockets.SocketException => true,
        _ => false,
    };

    /// <summary>Runs <paramref name="operation"/>, turning transient failures into <see cref="DependencyUnavailableException"/>.</summary>
    public static async ValueTask<T> GuardAsync<T>(Func<ValueTask<T>> operation)
    {
        try
        {
            return await operation();
        }
        catch (Exception e) when (IsTransient(e))
        {
            throw new DependencyUnavailableException("postgres", e.Message, e);
        }
    }
}
