using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using AntennaIngest.Testing;
using AntennaIngest.Workload.Enqueue;

namespace AntennaIngest.Workload.Chaos;

/// <summary>
/// `chaos --soak MINUTES`: one instance for MINUTES at a steady share (50 %) of its own maximum
/// with the benchmark's payload mix. The maximum is measured first: a backlog of the same mix
/// drained by a process of its own (results/s from first to last ack, as the benchmark does).
/// Then a fresh process gets results at half that rate, open loop, for a rolling sequence of jobs
/// that are set up while earlier ones are worked on and finish during the soak, so job-state keys
/// and task streams are made and deleted throughout. Sampled once a minute (SoakSampler), judged
/// by SoakVerdict, then tallied as every chaos scenario is.
/// </summary>
public static class SoakScenario
{
    // The binary's Celery results go to a Redis database of their own and expire after two
    // minutes, so their key count reaches its plateau within the warm-up (Antenna's 72 h would
    // grow it for three days by design, which is not what the soak looks for).
    private const int ResultDatabase = 8;
    private const int ResultExpirySeconds = 120;

    public static async Task<ScenarioResult> RunAsync(ChaosSettings settings, SoakSettings soak)
    {
        var clock = Stopwatch.StartNew();
        await using var world = await ChaosWorld.CreateAsync(settings, "soak", soak.ImagesPerJob, Math.Max(1, soak.MaxResults / soak.ImagesPerJob), addJobsLater: true);
        var setupSeconds = Lap(clock);
        // No broker faults here, so no publisher confirms: they would cap the offered rate (ChaosWorld.EnqueueAsync).
        var backlog = await world.EnqueueAsync(confirm: false);
        var enqueueSeconds = Lap(clock);
        var environment = new Dictionary<string, string>
        {
            ["CELERY_RESULT_BACKEND"] = ServiceEndpoints.WithDatabase(world.Manifest.RedisUrl, ResultDatabase.ToString(CultureInfo.InvariantCulture)),
            ["CELERY_RESULT_EXPIRES"] = ResultExpirySeconds.ToString(CultureInfo.InvariantCulture),
        };

        var maxProcess = world.StartBinary(environment, "max");
        var maxDrained = await ChaosWorld.WaitAsync(() => world.AllAcked, TimeSpan.FromMinutes(15));
        var maxExit = await world.TerminateAsync(maxProcess, TimeSpan.FromSeconds(40));
        var (maximum, maxWindow) = world.AckRate(backlog.Results);
        var maxSeconds = Lap(clock);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"chaos: soak: maximum {maximum:F1} results/s ({backlog.Results.Count} results acked in {maxWindow:F1} s, first to last ack); setup {setupSeconds:F0} s, enqueue {enqueueSeconds:F0} s"));
        if (!maxDrained || maximum <= 0)
        {
            throw new InvalidOperationException($"the maximum could not be measured: {world.Acked}/{backlog.Results.Count} acked, exit {maxExit}");
        }

        var rate = maximum * soak.Load;
        var perRound = soak.JobsPerRound * soak.ImagesPerJob;
        var rounds = (int)Math.Ceiling(soak.Minutes * 60 * rate / perRound);
        var process = world.StartBinary(environment, "soak");
        // A harness that falls behind (CPU) must not burst to catch up: that would be a load test
        // of its own. Its shortfall shows in offered/s and the slots it dropped instead.
        var pacer = new Pacer(rate, maxLag: TimeSpan.FromSeconds(1));
        var roundSetup = new List<double>();
        var offering = OfferAsync(world, pacer, rounds, soak.JobsPerRound, TimeSpan.FromMinutes(soak.Minutes), roundSetup);
        if (await Task.WhenAny(pacer.Started, offering) == offering)
        {
            await offering; // its first round failed: say why rather than sample nothing
        }

        var samples = await SampleAsync(world, process, soak.Minutes, Path.Combine(settings.Out, "samples.jsonl"));
        var offered = await offering;
        world.Expectations = new Expectations(settings.Seed, "celery", [.. backlog.Results, .. offered]);
        var drained = await ChaosWorld.WaitAsync(() => world.AllAcked, TimeSpan.FromMinutes(5));
        var alive = !process.HasExited;
        var exit = await world.TerminateAsync(process, TimeSpan.FromSeconds(40));
        var tally = await world.TallyAsync();
        var checks = SoakVerdict.Judge(samples, rate);
        var ok = maxDrained && maxExit == 0 && drained && alive && exit == 0 && checks.All(c => c.Ok);
        var row = Scenarios.Result(world.Name, 1, tally, null, ok, string.Create(CultureInfo.InvariantCulture,
            $"{soak.Minutes} min at {rate:F1}/s ({soak.Load:P0} of the {maximum:F1}/s maximum), {offered.Count / perRound} of {rounds} planned rounds of {soak.JobsPerRound} × {soak.ImagesPerJob}; {checks.Count(c => c.Ok)}/{checks.Count} soak checks ok{(checks.All(c => c.Ok) ? string.Empty : " (failed: " + string.Join(", ", checks.Where(c => !c.Ok).Select(c => c.Name)) + ")")}"));
        var report = new SoakReport(soak, maximum, backlog.Results.Count, maxWindow, rate, pacer.SlotsDropped, rounds, setupSeconds, enqueueSeconds, maxSeconds,
            roundSetup.Count > 0 ? roundSetup.Average() : 0, samples, checks, row);
        await SoakReport.WriteAsync(report, settings.Out);
        return row;
    }

    // Rounds of jobs, each set up while the one before is published, so at most two are in hand
    // and each round's jobs get all their results (and finish) during the soak.
    // A harness that falls behind offers fewer rounds rather than running past the soak's minutes:
    // no round starts once they are over.
    private static async Task<List<ExpectedResult>> OfferAsync(ChaosWorld world, Pacer pacer, int rounds, int jobsPerRound, TimeSpan duration, List<double> roundSetupSeconds)
    {
        var offered = new List<ExpectedResult>();
        Task<Expectations>? previous = null;
        var clock = Stopwatch.StartNew();
        for (var r = 0; r < rounds && clock.Elapsed < duration; r++)
        {
            var setup = Stopwatch.StartNew();
            var jobs = await world.AddJobsAsync(jobsPerRound);
            roundSetupSeconds.Add(setup.Elapsed.TotalSeconds);
            var current = world.EnqueueAsync(pacer.Rate, only: jobs, pacer: pacer, confirm: false);
            if (previous is not null)
            {
                offered.AddRange((await previous).Results);
            }

            previous = current;
        }

        if (previous is not null)
        {
            offered.AddRange((await previous).Results);
        }

        return offered;
    }

    // One sample at the end of every minute from the first result offered; each is also written
    // to samples.jsonl at once, so a run that dies keeps the minutes it had.
    private static async Task<List<SoakSample>> SampleAsync(ChaosWorld world, Process process, int minutes, string rawPath)
    {
        var samples = new List<SoakSample>(minutes);
        await using var sampler = await SoakSampler.StartAsync(world, process, ResultDatabase);
        await using var raw = new StreamWriter(rawPath) { AutoFlush = true };
        var clock = Stopwatch.StartNew();
        for (var minute = 1; minute <= minutes; minute++)
        {
            var due = TimeSpan.FromMinutes(minute) - clock.Elapsed;
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due);
            }

            var sample = await sampler.SampleAsync(minute);
            samples.Add(sample);
            await raw.WriteLineAsync(JsonSerializer.Serialize(sample, SoakJson.Line.SoakSample));
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"chaos: soak: minute {minute}/{minutes}: offered {sample.OfferedPerSecond:F1}/s, acked {sample.AckedPerSecond:F1}/s, p50/p99 {sample.P50Ms:F0}/{sample.P99Ms:F0} ms, RSS {sample.RssMb:F0} MB, keys {sample.JobStateKeys}/{sample.ResultKeys}, {sample.JobsFinished} jobs finished, {sample.BinaryConnections} connections"));
        }

        return samples;
    }

    private static double Lap(Stopwatch clock)
    {
        var seconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        return seconds;
    }
}

/// <summary>What `--soak` runs: minutes, the share of the maximum offered, the backlog that measures the maximum, the rolling jobs' size.</summary>
public sealed record SoakSettings(int Minutes, double Load, int MaxResults, int ImagesPerJob, int JobsPerRound);
