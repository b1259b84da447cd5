using System.Globalization;
using System.Text;
using System.Text.Json;
using AntennaIngest.Testing;
using AntennaIngest.Workload.Cli;
using AntennaIngest.Workload.Setup;

namespace AntennaIngest.Workload.Enqueue;

/// <summary>`enqueue`: publishes the manifest's results; writes expectations.json and enqueue-times.tsv.</summary>
public static class EnqueueCommand
{
    public const string Usage =
        """
        enqueue --manifest FILE --out DIR [--seed 1] [--target celery|jetstream|both] [--queue ml_results]
                [--results-stream ingest_results] [--results-subject-prefix ingest.results] [--rate 0 (results/s; 0 = backlog)] [--limit N]
                [--body-cache DIR (keep each result's JSON compressed there for later runs of the same benchmark)]
        """;

    public static async Task<int> RunAsync(Options options)
    {
        var manifest = Manifest.Load(options.Required("manifest"));
        var output = options.Required("out");
        var seed = options.Number("seed", 1);
        var settings = Settings(options, manifest);
        options.EnsureAllRead();
        Directory.CreateDirectory(output);

        var times = new StringBuilder("reply_subject\tenqueued_unix_ns\tbytes\n");
        await using var enqueuer = new Enqueuer(new ResultSource(manifest, seed), settings);
        await enqueuer.ConnectAsync(CancellationToken.None);
        var expectations = await enqueuer.RunAsync(UnixNanoseconds, (reply, ns, bytes) => times.Append(CultureInfo.InvariantCulture, $"{reply}\t{ns}\t{bytes}\n"), CancellationToken.None);
        await File.WriteAllTextAsync(Path.Combine(output, "enqueue-times.tsv"), times.ToString());
        Save(expectations, Path.Combine(output, "expectations.json"));
        Console.WriteLine($"enqueue: {expectations.Results.Count} results ({expectations.Errors} errors, {expectations.Detections} detections, {expectations.Classifications} classifications, {expectations.Bytes / 1e6:F1} MB) on {settings.Target}");
        return 0;
    }

    public static EnqueueSettings Settings(Options options, Manifest manifest) => new(
        options.Get("target", "celery"),
        ServiceEndpoints.BrokerUrl,
        options.Get("queue", "ml_results"),
        manifest.NatsUrl,
        options.Get("results-stream", "ingest_results"),
        options.Get("results-subject-prefix", "ingest.results"),
        options.Fraction("rate", 0),
        options.Number("limit", 0),
        BodyCache: options.Get("body-cache", string.Empty));

    public static long UnixNanoseconds() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;

    public static void Save(Expectations expectations, string path) =>
        File.WriteAllBytes(path, JsonSerializer.SerializeToUtf8Bytes(expectations, WorkloadJson.Default.Expectations));

    public static Expectations Load(string path) =>
        JsonSerializer.Deserialize(File.ReadAllBytes(path), WorkloadJson.Default.Expectations) ?? throw new InvalidDataException(path);
}
