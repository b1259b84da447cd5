using AntennaIngest.Core.Processing;
using NATS.Client.Core;
using Npgsql;
using StackExchange.Redis;

namespace AntennaIngest.Hosting;

/// <summary>One trivial request per dependency with a short timeout: does it answer right now?</summary>
internal sealed class DependencyProbe(NpgsqlDataSource dataSource, IConnectionMultiplexer redis, NatsConnection nats) : IDependencyProbe
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(5);

    public async ValueTask<bool> IsAvailableAsync(string dependency, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(s_timeout);
        try
        {
            switch (dependency)
            {
                case "postgres":
                    await using (var command = dataSource.CreateCommand("SELECT 1"))
                    {
                        await command.ExecuteScalarAsync(timeout.Token);
                    }

                    return true;
                case "redis":
                    await redis.GetDatabase().PingAsync().WaitAsync(timeout.Token);
                    return true;
                case "nats":
                    await nats.PingAsync(timeout.Token);
                    return true;
                default:
                    return true; // no probe: treat the failure as the task's
            }
        }
        catch (Exception e) when (e is NpgsqlException or RedisException or NatsException or TimeoutException
            || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return false;
        }
    }
}
