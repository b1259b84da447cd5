using System.Diagnostics;
using AntennaIngest.Core.Configuration;
using AntennaIngest.Core.Contracts;
using AntennaIngest.Core.Metrics;
using AntennaIngest.Core.Processing;
using AntennaIngest.Postgres.Connections;
using AntennaIngest.Postgres.Writing;
using Microsoft.Extensions.Logging.Abstractions;

namespace AntennaIngest.WriteBench;

/// <summary>Results through the production saver (group commit), as many in flight as the pump would hold.</summary>
internal static class SaverRun
{
    public const int InFlight = 1000;

    public sealed record Outcome(int Results, TimeSpan Elapsed, long RoundTrips, double MeanGroup, CpuMeter Cpu);

    public static async Task<Outcome> RunAsync(string url, bool prepare, int writers, IReadOnlyList<PipelineResultsResponse> results, IReadOnlyList<PipelineResultsResponse> warmUp, double seconds)
    {
        var settings = new SettingsReader(new Dictionary<string, string?>
        {
            ["DATABASE_URL"] = url,
            ["INGEST_DB_PREPARE"] = prepare ? "true" : "false",
            ["INGEST_DB_CONNECTIONS"] = (writers + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
        }).Read().Database;
        var metrics = new IngestMetrics(new MetricsRegistry());
        await using var dataSource = PostgresDataSource.Create(settings, NullLoggerFactory.Instance);
        var saver = new GroupCommitSaver(new ResultWriter(dataSource, settings, metrics, AntennaIngest.Core.Processing.NoTableChangeNotifier.Instance, NullLogger<ResultWriter>.Instance), settings, NullLogger<GroupCommitSaver>.Instance);
        await saver.StartAsync(CancellationToken.None);
        try
        {
            // Warm up the process (JIT) and the pool on results of their own images.
            await Task.WhenAll(warmUp.Select(async result => Check(await saver.SaveAsync(new SaveRequest(null, result), CancellationToken.None))));
            var roundTripsBefore = metrics.DbRoundTrips.Value("write");
            var groupsBefore = metrics.GroupSize.Count();
            var cpu = CpuMeter.Now();
            var deadline = Stopwatch.StartNew();
            var completed = 0;
            await Parallel.ForEachAsync(results, new ParallelOptions { MaxDegreeOfParallelism = InFlight }, async (result, token) =>
            {
                if (deadline.Elapsed.TotalSeconds >= seconds)
                {
                    return;
                }

                Check(await saver.SaveAsync(new SaveRequest(null, result), token));
                Interlocked.Increment(ref completed);
            });
            var elapsed = deadline.Elapsed;
            var used = CpuMeter.Now() - cpu;
            var groups = metrics.GroupSize.Count() - groupsBefore;
            return new Outcome(completed, elapsed, metrics.DbRoundTrips.Value("write") - roundTripsBefore, groups == 0 ? 0 : (double)completed / groups, used);
        }
        finally
        {
            await saver.StopAsync(CancellationToken.None);
        }
    }

    private static void Check(SaveOutcome outcome)
    {
        if (!outcome.Saved)
        {
            throw new InvalidOperationException("bench result not saved: " + outcome.FailureReason);
        }
    }
}
