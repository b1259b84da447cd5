using System.Diagnostics;
using System.Globalization;
using AntennaIngest.Benchmarks;
using AntennaIngest.Core.Decoding;
using AntennaIngest.Core.Intake;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/AntennaIngest.Benchmarks [-- BenchmarkDotNet options]
// dotnet run -c Release --project tests/AntennaIngest.Benchmarks -- --large   (one 50 MB result)
if (args.Contains("--large"))
{
    LargeResult.Measure();
    return;
}

var summary = BenchmarkRunner.Run<DecodeBenchmarks>(DefaultConfig.Instance, args);
Console.WriteLine();
Console.WriteLine("| result JSON | body | mean | MB/s (of JSON) | allocated/message | allocated per JSON byte |");
Console.WriteLine("|---:|---|---:|---:|---:|---:|");
foreach (var report in summary.Reports.Where(r => r.ResultStatistics is not null))
{
    var target = (int)report.BenchmarkCase.Parameters["TargetBytes"];
    var zlib = (bool)report.BenchmarkCase.Parameters["Zlib"];
    var jsonBytes = Payloads.CeleryBody(target).Length;
    var meanNs = report.ResultStatistics!.Mean;
    var allocated = report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase) ?? 0;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {jsonBytes / 1000.0:F1} KB | {(zlib ? "zlib" : "plain")} | {meanNs / 1000:F1} µs | {jsonBytes / (meanNs / 1e9) / 1e6:F0} | {allocated / 1000.0:F1} KB | {(double)allocated / jsonBytes:F2} |"));
}

/// <summary>One 50 MB result through the decoder: allocated bytes and peak RSS against its size.</summary>
internal static class LargeResult
{
    public static void Measure()
    {
        var json = Payloads.CeleryBody(52_500_000);
        var jsonBytes = (double)json.Length;
        var body = Payloads.Zlib(json);
        var metadata = new MessageMetadata(TaskDecoder.ProcessResultTask, "large", "application/x-gzip", null, null, "application/json");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"50 MB result: {json.Length / 1e6:F1} MB JSON, {body.Length / 1e6:F1} MB zlib body"));
        for (var run = 1; run <= 3; run++)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            var process = Process.GetCurrentProcess();
            var rssBefore = process.WorkingSet64;
            var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            var peak = rssBefore;
            using var done = new ManualResetEventSlim();
            var sampler = new Thread(() =>
            {
                while (!done.Wait(5))
                {
                    process.Refresh();
                    peak = Math.Max(peak, process.WorkingSet64);
                }
            });
            sampler.Start();
            var clock = Stopwatch.StartNew();
            var result = TaskDecoder.DecodeCelery(metadata, body, 64L * 1024 * 1024, DateTimeOffset.UtcNow);
            clock.Stop();
            done.Set();
            sampler.Join();
            var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"run {run}: {result.GetType().Name} in {clock.Elapsed.TotalMilliseconds:F0} ms; allocated {allocated / 1e6:F1} MB ({allocated / jsonBytes:F2}x the JSON); RSS growth at peak {(peak - rssBefore) / 1e6:F1} MB ({(peak - rssBefore) / jsonBytes:F2}x)"));
            GC.KeepAlive(result);
        }
    }
}
