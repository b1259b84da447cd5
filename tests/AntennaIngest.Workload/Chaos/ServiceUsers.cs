using System.Diagnostics;
using AntennaIngest.Testing;
using AntennaIngest.Workload.Setup;
using Npgsql;

namespace AntennaIngest.Workload.Chaos;

/// <summary>
/// A user with a password of its own on the shared PostgreSQL, Redis and RabbitMQ (the scenario's
/// private NATS has its own), so that a scenario can look for exactly those passwords in
/// everything the binary wrote. Removed again on dispose.
/// </summary>
public sealed class ServiceUsers : IAsyncDisposable
{
    private readonly ChaosWorld _world;

    private ServiceUsers(ChaosWorld world, string user, Secrets passwords)
    {
        _world = world;
        User = user;
        Passwords = passwords;
    }

    /// <summary>The same name on every service: a role, an ACL user and a broker user.</summary>
    public string User { get; }

    public Secrets Passwords { get; }

    public static async Task<ServiceUsers> CreateAsync(ChaosWorld world, Secrets passwords)
    {
        var user = "ingest_tls_" + Guid.NewGuid().ToString("N")[..8];
        var users = new ServiceUsers(world, user, passwords);
        await using (var database = world.DirectDatabase())
        {
            // A member of the owner of Antenna's tables: every privilege the binary needs, nothing granted one by one.
            await using var create = database.CreateCommand($"CREATE ROLE {user} LOGIN PASSWORD '{passwords.Postgres}' IN ROLE {new NpgsqlConnectionStringBuilder(ServiceEndpoints.ToConnectionString(world.Manifest.DirectUrl)).Username}");
            await create.ExecuteNonQueryAsync();
        }

        var (redis, db) = await ServiceClients.RedisAsync(ServiceEndpoints.RedisUrl);
        await using (redis)
        {
            await db.ExecuteAsync("ACL", "SETUSER", user, "on", ">" + passwords.Redis, "~*", "&*", "+@all");
        }

        await RabbitAsync(world, "add_user", user, passwords.Rabbitmq);
        await RabbitAsync(world, "set_permissions", "-p", "/", user, ".*", ".*", ".*");
        return users;
    }

    public async ValueTask DisposeAsync()
    {
        await using (var database = _world.DirectDatabase())
        {
            await using var drop = database.CreateCommand($"DROP ROLE IF EXISTS {User}");
            await drop.ExecuteNonQueryAsync();
        }

        var (redis, db) = await ServiceClients.RedisAsync(ServiceEndpoints.RedisUrl);
        await using (redis)
        {
            await db.ExecuteAsync("ACL", "DELUSER", User);
        }

        await RabbitAsync(_world, "delete_user", User);
    }

    private static Task RabbitAsync(ChaosWorld world, params string[] arguments) =>
        Scenarios.RunScriptAsync(world.Settings.ServicesScript, null, ["rabbitmqctl", .. arguments]);
}

/// <summary>One password per service, random per run, so none can be found anywhere by chance.</summary>
public sealed record Secrets(string Postgres, string Redis, string Nats, string Rabbitmq)
{
    public static Secrets Random() => new(Make("pg"), Make("redis"), Make("nats"), Make("amqp"));

    public IEnumerable<(string Service, string Password)> All() =>
        [("postgres", Postgres), ("redis", Redis), ("nats", Nats), ("rabbitmq", Rabbitmq)];

    private static string Make(string service) => $"{service}Secret{Guid.NewGuid():N}";
}
