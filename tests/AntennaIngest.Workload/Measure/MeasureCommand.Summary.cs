using AntennaIngest.Workload.Enqueue;
using AntennaIngest.Workload.Verify;

namespace AntennaIngest.Workload.Measure;

/// <summary>`measure`'s arithmetic: one run's acks, samples and counters into a <see cref="ContenderResult"/>.</summary>
public static partial class MeasureCommand
{
    /// <summary>Queries through pgbouncer during the run: the difference of its counters, read before the contender started and after it stopped.</summary>
    private static ContenderResult WithPgbouncerCounts(ContenderResult result, (long Queries, long Transactions)? before, (long Queries, long Transactions)? after)
    {
        if (before is not { } b || after is not { } a || a.Queries < b.Queries)
        {
            return result with { RoundTripsSource = "unavailable: pgbouncer's SHOW STATS could not be read, or its counters went back (restarted?)" };
        }

        return result with
        {
            RoundTrips = a.Queries - b.Queries,
            RoundTripsPerResult = result.Acked > 0 ? (double)(a.Queries - b.Queries) / result.Acked : 0,
            RoundTripsSource = PgbouncerStats.Source,
            PgbouncerTransactions = a.Transactions - b.Transactions,
        };
    }

    private static ContenderResult Summarize(
        string contender,
        string status,
        string message,
        EnqueueSettings settings,
        Expectations expectations,
        Dictionary<string, long> firstAck,
        Dictionary<string, int> kinds,
        Dictionary<string, (long Ns, int Bytes)> enqueued,
        long startNs,
        long endNs,
        ConnectionSampler connections,
        ProcessTreeSampler sampler,
        VerifyReport? report,
        int? exitCode)
    {
        var latencies = new List<double>();
        var small = new List<double>();
        long rows = 0;
        long bytes = 0;
        foreach (var result in expectations.Results)
        {
            if (!firstAck.TryGetValue(result.ReplySubject, out var ack) || !enqueued.TryGetValue(result.ReplySubject, out var sent))
            {
                continue;
            }

            var ms = (ack - sent.Ns) / 1e6;
            latencies.Add(ms);
            if (result.Bytes <= 10 * 1024)
            {
                small.Add(ms);
            }

            rows += result.Error ? 0 : result.Detections == 0 ? 1 : (2L * result.Detections) + result.Classifications;
            bytes += result.Bytes;
        }

        var ackTimes = expectations.Results.Where(r => firstAck.ContainsKey(r.ReplySubject)).Select(r => firstAck[r.ReplySubject]).Order().ToList();
        var window = ackTimes.Count > 1 ? (ackTimes[^1] - ackTimes[0]) / 1e9 : 0;
        var perSecond = window > 0 ? (ackTimes.Count - 1) / window : 0;
        var fromStart = ackTimes.Count > 0 ? (ackTimes[^1] - startNs) / 1e9 : 0;
        var enqueueStartNs = settings.Rate > 0 && enqueued.Count > 0 ? enqueued.Values.Min(e => e.Ns) : 0;
        var fromEnqueue = enqueueStartNs > 0 && ackTimes.Count > 0 ? (ackTimes[^1] - enqueueStartNs) / 1e9 : 0;
        return new ContenderResult
        {
            Contender = contender,
            Status = status,
            Message = message,
            Mode = settings.Rate > 0 ? "paced" : "backlog",
            Rate = settings.Rate,
            Results = expectations.Results.Count,
            Acked = latencies.Count,
            Unacked = expectations.Results.Count - latencies.Count,
            Terminated = kinds.GetValueOrDefault("+TERM"),
            Naks = kinds.GetValueOrDefault("+NAK"),
            ResultsPerMinute = perSecond * 60,
            ResultsPerMinuteFirstToLastAck = perSecond * 60,
            ResultsPerMinuteFromStart = fromStart > 0 ? latencies.Count / fromStart * 60 : 0,
            SecondsFromStart = fromStart,
            ResultsPerMinuteFromEnqueueStart = fromEnqueue > 0 ? latencies.Count / fromEnqueue * 60 : 0,
            SecondsFromEnqueueStart = fromEnqueue,
            WindowSeconds = window,
            StartupSeconds = ackTimes.Count > 0 ? (ackTimes[0] - startNs) / 1e9 : 0,
            WallSeconds = (endNs - startNs) / 1e9,
            LatencyMs = Percentiles.Of(latencies),
            SmallLatencyMs = Percentiles.Of(small),
            PeakServerConnections = connections.PeakServerConnections,
            PoolPeakClientActive = connections.PeakClientActive,
            PoolPeakClientWaiting = connections.PeakClientWaiting,
            PoolPeakServerActive = connections.PeakServerActive,
            PoolMaxWaitSeconds = connections.PeakMaxWaitSeconds,
            PeakRssMb = sampler.PeakRssBytes / (1024.0 * 1024.0),
            PeakPssMb = sampler.PeakPssBytes / (1024.0 * 1024.0),
            PeakPssPerProcessMb = sampler.PeakPssPerProcessBytes / (1024.0 * 1024.0),
            PeakProcesses = sampler.PeakProcesses,
            CpuSeconds = sampler.CpuSeconds,
            DataRows = rows,
            RowsPerSecond = window > 0 ? rows / window : 0,
            MegabytesPerSecond = window > 0 ? bytes / 1e6 / window : 0,
            VerifyViolations = report?.Violations ?? 0,
            VerifyFailures = report?.Checks.Where(c => !c.Ok).Select(c => $"{c.Name}: {c.Detail}").ToList() ?? [],
            ExitCode = exitCode,
            AckKinds = kinds,
        };
    }
}
