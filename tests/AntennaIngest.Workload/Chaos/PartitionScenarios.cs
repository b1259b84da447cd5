using System.Globalization;
using AntennaIngest.Testing;
using AntennaIngest.Workload.Network;

namespace AntennaIngest.Workload.Chaos;

/// <summary>
/// A hostile network between the binary and one service, the others untouched: 50 ms added
/// round trip from the start, then (partition) the link blackholed (nothing arrives, nothing fails
/// at once), then every established connection reset and the link restored. The binary must lose,
/// duplicate and strand nothing, and ack again within 5 s of the service being reachable.
/// "postgres" is PostgreSQL without pgbouncer (DATABASE_URL straight to it, as a deployment
/// without a pooler has it); "pgbouncer" the usual path.
/// </summary>
public static class PartitionScenarios
{
    public static readonly string[] Services = ["postgres", "pgbouncer", "redis", "nats", "rabbitmq"];

    private const double AddedRoundTripMs = 50;
    private const double RecoveryBoundSeconds = 5;

    // Latency alone, at the light paced load below: no result should take longer than this.
    private const double LatencyBoundSeconds = 10;

    /// <summary>The service 50 ms away for the whole run: everything acked, none slower than the bound.</summary>
    public static async Task<ScenarioResult> LatencyAsync(ChaosSettings settings, string service)
    {
        await using var world = await ChaosWorld.CreateAsync(settings, $"net-latency-{service}", settings.Images);
        var (variable, url) = Route(world, service);
        var (host, port) = ServiceUrl.Target(url);
        await using var delay = new DelayProxy($"{service}-delay", host, port, AddedRoundTripMs);
        world.StartBinary(new() { [variable] = ServiceUrl.WithLoopbackPort(url, delay.Port) });
        await world.EnqueueAsync(rate: settings.Images / 20.0);
        var drained = await ChaosWorld.WaitAsync(() => world.AllAcked, TimeSpan.FromSeconds(180));
        var exit = await world.TerminateAsync(TimeSpan.FromSeconds(40));
        var tally = await world.TallyAsync();
        var waits = world.SecondsEnqueueToAck().Order().ToList();
        var (median, longest) = waits.Count > 0 ? (waits[waits.Count / 2], waits[^1]) : (double.NaN, double.NaN);
        var ok = drained && exit == 0 && longest <= LatencyBoundSeconds;
        return Scenarios.Result(
            world.Name,
            1,
            tally,
            null,
            ok,
            string.Create(CultureInfo.InvariantCulture, $"{service} behind +{AddedRoundTripMs} ms for the whole run; enqueue → ack median {median:F2} s, longest {longest:F2} s (bound {LatencyBoundSeconds} s)"));
    }

    public static async Task<ScenarioResult> PartitionAsync(ChaosSettings settings, string service)
    {
        await using var world = await ChaosWorld.CreateAsync(settings, $"net-partition-{service}", settings.Images);
        var (variable, url) = Route(world, service);
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

    // The setting that points the binary at the service, and the service's own address.
    private static (string Variable, string Url) Route(ChaosWorld world, string service) => service switch
    {
        "postgres" => ("DATABASE_URL", world.Manifest.DirectUrl),
        "pgbouncer" => ("DATABASE_URL", world.Manifest.PgbouncerUrl),
        "redis" => ("REDIS_URL", world.Manifest.RedisUrl),
        "nats" => ("NATS_URL", world.Manifest.NatsUrl),
        "rabbitmq" => ("CELERY_BROKER_URL", ServiceEndpoints.BrokerUrl),
        _ => throw new ArgumentException($"no network scenario for {service}", nameof(service)),
    };
}
