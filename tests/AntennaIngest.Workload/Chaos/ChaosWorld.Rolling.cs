using AntennaIngest.Workload.Enqueue;
using AntennaIngest.Workload.Setup;

namespace AntennaIngest.Workload.Chaos;

/// <summary>A world whose jobs keep coming (the soak): jobs added while the binary runs, and the counts a sampler reads.</summary>
public sealed partial class ChaosWorld
{
    /// <summary>Results published so far.</summary>
    public int Enqueued => _enqueuedAt.Count;

    /// <summary>
    /// Adds <paramref name="count"/> jobs (a world created with addJobsLater) and watches their
    /// acks from before their first result is published.
    /// </summary>
    public async Task<IReadOnlyList<JobPlan>> AddJobsAsync(int count)
    {
        var builder = _jobs ?? throw new InvalidOperationException("the world was created without addJobsLater");
        var added = new List<JobPlan>(count);
        for (var i = 0; i < count; i++)
        {
            added.Add(await builder.AddAsync(TextWriter.Null, CancellationToken.None));
        }

        await _acks!.StartAsync(added.Select(j => $"job_{j.Id}"), CancellationToken.None);
        Manifest = builder.Manifest;
        return added;
    }

    /// <summary>Results per second from the first to the last ack of <paramref name="results"/> (the benchmark's backlog measure), and that window in seconds.</summary>
    public (double PerSecond, double Seconds) AckRate(IEnumerable<ExpectedResult> results)
    {
        var (firstAck, _) = _acks!.Snapshot();
        var times = results.Where(r => firstAck.ContainsKey(r.ReplySubject)).Select(r => firstAck[r.ReplySubject]).ToList();
        var seconds = times.Count > 1 ? (times.Max() - times.Min()) / 1e9 : 0;
        return (seconds > 0 ? (times.Count - 1) / seconds : 0, seconds);
    }
}
