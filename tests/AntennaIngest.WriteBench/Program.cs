using System.Globalization;
using AntennaIngest.Testing;
using AntennaIngest.WriteBench;

// Runs each phase on fresh images of one seeded database, bounded by --seconds per phase:
//   1. saver with the configured writers vs binary COPY of the same rows (same streams);
//   2. results/s with 1, 4 and the configured number of writer connections.
var options = BenchOptions.Parse(args);
var writers = Math.Max(1, options.Connections - 1);
await using var world = await BenchWorld.CreateAsync(options);
var url = options.Direct ? world.Database.DirectUrl : world.Database.PgbouncerUrl;
var mix = new Mix(options);
var phase = 0;

Console.WriteLine(Invariant($"write bench: {options.Results} results/phase, <= {options.Seconds} s/phase, 0..{options.MaxDetections} detections, {options.Labels} species labels, logits {(options.Logits ? "on" : "off")}, {(options.Direct ? "direct + prepared statements" : "pgbouncer, no prepared statements")}, {writers} writers"));
Console.WriteLine(Invariant($"machine: {Environment.ProcessorCount} cores; PostgreSQL and this process share them"));

var saverResults = mix.Results(await world.ImagesAsync($"p{phase++}", options.Results));
var saver = await SaverRun.RunAsync(url, options.Direct, writers, saverResults, await WarmUpAsync(), options.Seconds);
var done = saverResults.Take(saver.Results).ToList();
var (rows, bytes) = Sum(done);

var copyResults = mix.Results(await world.ImagesAsync($"p{phase++}", saver.Results));
var (copyElapsed, copyCpu) = await CopyCeiling.RunAsync(world, ServiceEndpoints.ToConnectionString(url), copyResults, writers);

Console.WriteLine();
Console.WriteLine(Invariant($"{saver.Results} results: {rows} rows (occurrences, detections, classifications, markers), {bytes / 1e6:F1} MB as binary COPY payload"));
Console.WriteLine(Invariant($"{"",-28}{"seconds",10}{"rows/s",12}{"MB/s",10}{"results/s",12}{"RT/result",11}{"group",8}{"client ms/res",15}{"server ms/res",15}"));
Line($"saver ({writers} writers)", saver.Elapsed, saver.Results, rows, bytes, saver.RoundTrips, saver.MeanGroup, saver.Cpu);
Line($"binary COPY ({writers} streams)", copyElapsed, saver.Results, rows, bytes, null, 64, copyCpu);
Console.WriteLine(Invariant($"saver / COPY: {copyElapsed.TotalSeconds / saver.Elapsed.TotalSeconds * 100:F0} % of the ceiling's throughput; CPU per result (client + server): saver {(saver.Cpu.Client + saver.Cpu.Server) * 1000 / saver.Results:F1} ms, COPY {(copyCpu.Client + copyCpu.Server) * 1000 / saver.Results:F1} ms"));

Console.WriteLine();
Console.WriteLine(Invariant($"{"writer connections",-28}{"seconds",10}{"rows/s",12}{"MB/s",10}{"results/s",12}{"RT/result",11}{"group",8}{"client ms/res",15}{"server ms/res",15}"));
foreach (var count in new[] { 1, 4, writers }.Distinct())
{
    var results = mix.Results(await world.ImagesAsync($"p{phase++}", options.Results));
    var run = await SaverRun.RunAsync(url, options.Direct, count, results, await WarmUpAsync(), options.Seconds);
    var (r, b) = Sum(results.Take(run.Results));
    Line(count.ToString(CultureInfo.InvariantCulture), run.Elapsed, run.Results, r, b, run.RoundTrips, run.MeanGroup, run.Cpu);
}

async Task<List<AntennaIngest.Core.Contracts.PipelineResultsResponse>> WarmUpAsync() =>
    mix.Results(await world.ImagesAsync($"warm-up-{phase++}", 32));

static (long Rows, long Bytes) Sum(IEnumerable<AntennaIngest.Core.Contracts.PipelineResultsResponse> results)
{
    long rows = 0, bytes = 0;
    foreach (var result in results)
    {
        var (r, b) = Payload.Of(result);
        rows += r;
        bytes += b;
    }

    return (rows, bytes);
}

static void Line(string name, TimeSpan elapsed, int results, long rows, long bytes, long? roundTrips, double group, CpuMeter cpu)
{
    var s = elapsed.TotalSeconds;
    var rt = roundTrips is { } trips ? ((double)trips / results).ToString("F3", CultureInfo.InvariantCulture) : "-";
    Console.WriteLine(Invariant($"{name,-28}{s,10:F2}{rows / s,12:F0}{bytes / 1e6 / s,10:F1}{results / s,12:F1}{rt,11}{group,8:F1}{cpu.Client * 1000 / results,15:F1}{cpu.Server * 1000 / results,15:F1}"));
}

static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
