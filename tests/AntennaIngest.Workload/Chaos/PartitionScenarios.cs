using System.Globalization;
using AntennaIngest.Testing;
using AntennaIngest.Workload.Network;

namespace AntennaIngest.Workload.Chaos;

/// <summary>
/// A hostile network between the binary and one service, the others untouched: 50 ms added
/// round trip from the start, then the link blackholed (nothing arrives, nothing fails at once),
/// then every established connection reset and the link restored. The binary must lose,
/// duplicate and strand nothing, and ack again within 5 s of the service being reachable.
/// </summary>
public static class PartitionScenarios
{
    public static readonly string[] Services = ["redis", "nats", "rabbitmq", "pgbouncer"];

    private const double AddedRoundTripMs = 50;
    private const double RecoveryBoundSeconds = 5;

    public static async Task<ScenarioResult> PartitionAsync(ChaosSettings settings, string service)
    {
        await using var world = await ChaosWorld.CreateAsync(settings, $"net-partition-{service}", settings.Images);
        var (variable, url) = service switch
        {
            "redis" => ("REDIS_URL", world.Manifest.RedisUrl),
            "nats" => ("NATS_URL", world.Manifest.NatsUrl),
            "rabbitmq" => ("CELERY_BROKER_URL", ServiceEndpoints.BrokerUrl),
            "pgbouncer" => ("DATABASE_URL", world.Manifest.PgbouncerUrl),
            _ => throw new ArgumentException($"no partition scenario for {service}", nameof(service)),
        };
        var (host, port) = ServiceUrl.Target(url);
        await using var delay = new DelayProxy($"{service}-delay", host, port, AddedRoundTripMs);
        await using var link = new FaultProxy("127.0.0.1", delay.Port);
        world.StartBinary(new() { [variable] = ServiceUrl.WithLoopbackPort(url, link.Port) });

        var blackhole = TimeSpan.FromSeconds(settings.Quick ? 10 : 30);
        var enqueue = world.EnqueueAsync(rate: settings.Images / (blackhole.TotalSeconds + 20));
        await ChaosWorld.WaitAsync(() => world.Acked >= settings.Images / 4, TimeSpan.FromSeconds(60));
        link.Blackhole();
        await Task.Delay(blackhole);
        var reset = link.Reset();
        link.Restore();
        var recovery = await world.TimeToNextAckAsync(TimeSpan.FromSeconds(120));
        await enqueue;
        var drained = await ChaosWorld.WaitAsync(() => world.AllAcked, TimeSpan.FromSeconds(180));
        var exit = await world.TerminateAsync(TimeSpan.FromSeconds(40));
        var tally = await world.TallyAsync();
        var ok = drained && exit == 0 && recovery is <= RecoveryBoundSeconds;
        return Scenarios.Result(
            world.Name,
            1,
            tally,
            recovery,
            ok,
            string.Create(CultureInfo.InvariantCulture, $"{service} behind +{AddedRoundTripMs} ms, blackholed {blackhole.TotalSeconds:F0} s, then {reset} connections reset; first ack {recovery:F1} s after it was reachable again (bound {RecoveryBoundSeconds} s)"));
    }
}
