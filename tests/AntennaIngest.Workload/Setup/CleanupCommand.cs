using AntennaIngest.Testing;
using AntennaIngest.Workload.Cli;
using Npgsql;
using RabbitMQ.Client;

namespace AntennaIngest.Workload.Setup;

/// <summary>`cleanup`: removes what setup and a run left on the shared services: the database, the jobs' Redis keys, streams and stored task results, and the given queues.</summary>
public static class CleanupCommand
{
    public const string Usage = "cleanup --manifest FILE [--queues q1,q2] [--keep-database]";

    public static async Task<int> RunAsync(Options options)
    {
        var manifest = Manifest.Load(options.Required("manifest"));
        var queues = options.Get("queues")?.Split(',', StringSplitOptions.RemoveEmptyEntries) ?? [];
        var keepDatabase = options.Flag("keep-database");
        options.EnsureAllRead();

        var (connection, redis) = await ServiceClients.RedisAsync(manifest.RedisUrl);
        await using (connection)
        await using (var nats = ServiceClients.Nats(manifest.NatsUrl, "antenna-workload-cleanup"))
        {
            // Antenna's result backend (REDIS_URL's database 1) keeps each task's kwargs, the whole
            // result, for CELERY_RESULT_EXPIRES (72 h): a full benchmark left 2.3 GB there, which a
            // Redis restart then spends seconds loading.
            var backend = connection.GetDatabase(1);
            foreach (var job in manifest.Jobs)
            {
                await redis.KeyDeleteAsync([$"job:{job.Id}:pending_images:process", $"job:{job.Id}:pending_images:results", $"job:{job.Id}:failed_images", $"job:{job.Id}:pending_images_total", $"job:{job.Id}:results_counts"]);
                await new AntennaJobTasks(nats, job.Id).DeleteAsync();
                await backend.KeyDeleteAsync([.. job.Images.Select(image => (StackExchange.Redis.RedisKey)$"celery-task-meta-{Enqueue.Enqueuer.TaskId(job.Index, image.Index)}")]);
            }
        }

        if (queues.Length > 0)
        {
            var factory = new ConnectionFactory { Uri = new Uri(ServiceEndpoints.BrokerUrl) };
            await using var amqp = await factory.CreateConnectionAsync("antenna-workload-cleanup");
            foreach (var queue in queues)
            {
                await using var channel = await amqp.CreateChannelAsync();
                await channel.QueueDeleteAsync(queue, ifUnused: false, ifEmpty: false);
                await channel.ExchangeDeleteAsync(queue, ifUnused: false);
            }
        }

        if (!keepDatabase)
        {
            await using var admin = NpgsqlDataSource.Create(ServiceEndpoints.ToConnectionString(ServiceEndpoints.WithDatabase(manifest.DirectUrl, "postgres")));
            await using var drop = admin.CreateCommand($"DROP DATABASE IF EXISTS \"{manifest.Database}\" WITH (FORCE)");
            await drop.ExecuteNonQueryAsync();
        }

        Console.WriteLine($"cleanup: {manifest.Jobs.Count} job(s), {queues.Length} queue(s){(keepDatabase ? string.Empty : ", database " + manifest.Database)} removed");
        return 0;
    }
}
