using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using AntennaIngest.Core.Configuration;
using AntennaIngest.Core.Metrics;
using AntennaIngest.Core.Processing;
using AntennaIngest.Core.Progress;
using AntennaIngest.Postgres.Connections;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AntennaIngest.Postgres.Jobs;

/// <summary>
/// Writes jobs_job.progress from Redis snapshots, at most once per job per interval. The job row
/// is the hottest row of the system: every result of a job would otherwise update it. Snapshots
/// of a job are merged (the most advanced wins) and written by one background loop; a result
/// that may complete its job flushes at once so the final status is not delayed.
/// Each write is two round trips: BEGIN + SELECT ... FOR UPDATE, then UPDATE + COMMIT.
/// </summary>
public sealed partial class PostgresProgressWriter(
    NpgsqlDataSource dataSource,
    DatabaseSettings settings,
    IJobLog jobLog,
    IngestMetrics metrics,
    ITableChangeNotifier tableChanges,
    ILogger<PostgresProgressWriter> logger) : BackgroundService, IProgressSink
{
    private static readonly TimeSpan s_tick = TimeSpan.FromMilliseconds(25);
    private static readonly string[] s_jobTable = ["jobs_job"];
    private static readonly long s_idleTicks = Stopwatch.Frequency * 600;

    private readonly ConcurrentDictionary<long, Slot> _slots = new();
    private readonly long _intervalTicks = (long)(settings.ProgressInterval.TotalSeconds * Stopwatch.Frequency);

    public void Record(long jobId, JobStateSnapshot snapshot)
    {
        var slot = _slots.GetOrAdd(jobId, _ => new Slot());
        lock (slot)
        {
            slot.Pending = slot.Pending is null ? snapshot : slot.Pending.Merge(snapshot);
            slot.LastActivity = Stopwatch.GetTimestamp();
        }
    }

    public async ValueTask<ProgressWrite> FlushAsync(long jobId, CancellationToken cancellationToken)
    {
        var slot = _slots.GetOrAdd(jobId, _ => new Slot());
        return await WriteAsync(jobId, slot, force: true, cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(s_tick);
        while (await Tick(timer, stoppingToken))
        {
            await WriteDueAsync(stoppingToken);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        foreach (var (jobId, slot) in _slots)
        {
            if (slot.Pending is not null)
            {
                try
                {
                    await WriteAsync(jobId, slot, force: true, cancellationToken);
                }
                catch (Exception e) when (e is DependencyUnavailableException or OperationCanceledException)
                {
                    Log.WriteFailed(logger, jobId, e);
                }
            }
        }
    }

    private static async Task<bool> Tick(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task WriteDueAsync(CancellationToken stoppingToken)
    {
        var now = Stopwatch.GetTimestamp();
        foreach (var (jobId, slot) in _slots)
        {
            bool due;
            lock (slot)
            {
                due = slot.Pending is not null && now - slot.LastWrite >= _intervalTicks;
                if (slot.Pending is null && now - slot.LastActivity > s_idleTicks)
                {
                    _slots.TryRemove(jobId, out _);
                }
            }

            if (!due)
            {
                continue;
            }

            try
            {
                await WriteAsync(jobId, slot, force: false, stoppingToken);
            }
            catch (DependencyUnavailableException e)
            {
                // The snapshot went back into the slot; the next tick tries again.
                Log.WriteFailed(logger, jobId, e);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<ProgressWrite> WriteAsync(long jobId, Slot slot, bool force, CancellationToken cancellationToken)
    {
        await slot.WriteLock.WaitAsync(cancellationToken);
        try
        {
            JobStateSnapshot? snapshot;
            lock (slot)
            {
                snapshot = slot.Pending;
                slot.Pending = null;
            }

            if (snapshot is null)
            {
                return slot.LastOutcome; // another write already took it and finished
            }

            try
            {
                var outcome = await PostgresErrors.GuardAsync(() => WriteRowAsync(jobId, snapshot, force, cancellationToken));
                lock (slot)
                {
                    slot.LastWrite = Stopwatch.GetTimestamp();
                    if (outcome is { } written)
                    {
                        slot.LastOutcome = written;
                    }
                    else
                    {
                        // Another instance wrote the row within the interval: keep ours for later.
                        slot.Pending = slot.Pending is null ? snapshot : slot.Pending.Merge(snapshot);
                    }
                }

                return outcome ?? default;
            }
            catch
            {
                lock (slot)
                {
                    slot.Pending = slot.Pending is null ? snapshot : slot.Pending.Merge(snapshot);
                }

                throw;
            }
        }
        finally
        {
            slot.WriteLock.Release();
        }
    }

    /// <returns>The write, or null when it was deferred because the row was written within the interval (by any instance).</returns>
    private async ValueTask<ProgressWrite?> WriteRowAsync(long jobId, JobStateSnapshot snapshot, bool force, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        string status;
        JsonObject progress;
        bool writtenRecently;
        await using (var select = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("BEGIN"),
                new NpgsqlBatchCommand("SELECT status, progress::text, updated_at > clock_timestamp() - $2 FROM jobs_job WHERE id = $1 FOR UPDATE")
                {
                    Parameters = { new NpgsqlParameter { Value = jobId }, new NpgsqlParameter { Value = settings.ProgressInterval } },
                },
            },
        })
        {
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                await reader.DisposeAsync();
                await using var rollback = new NpgsqlCommand("ROLLBACK", connection);
                await rollback.ExecuteNonQueryAsync(cancellationToken);
                return new ProgressWrite(false, null); // the job was deleted
            }

            status = reader.GetString(0);
            progress = JsonNode.Parse(reader.GetString(1)) as JsonObject ?? [];
            writtenRecently = reader.GetBoolean(2);
        }

        // The interval holds across instances: a row written by anyone within it is left alone,
        // except by a write that may complete the job.
        var completes = snapshot.RemainingProcess == 0 && snapshot.RemainingResults == 0;
        if (writtenRecently && !force && !completes)
        {
            await using var rollback = new NpgsqlCommand("ROLLBACK", connection);
            await rollback.ExecuteNonQueryAsync(cancellationToken);
            return null;
        }

        var before = progress.ToJsonString();
        var outcome = JobProgressRules.Apply(progress, snapshot, status, jobId);
        if (outcome.TransitionTo is null && progress.ToJsonString() == before)
        {
            // Nothing new (a replay, or a snapshot another writer already covered): no write.
            await using var unchanged = new NpgsqlCommand("ROLLBACK", connection);
            await unchanged.ExecuteNonQueryAsync(cancellationToken);
            return new ProgressWrite(false, null, outcome.Complete, outcome.StagesSummary);
        }

        await using (var update = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand(
                    """
                    UPDATE jobs_job SET progress = $2::jsonb, updated_at = now(),
                        status = COALESCE($3, status),
                        finished_at = CASE WHEN $3::text IS NULL THEN finished_at ELSE now() END
                    WHERE id = $1
                    """)
                {
                    Parameters =
                    {
                        new NpgsqlParameter { Value = jobId },
                        new NpgsqlParameter { Value = progress.ToJsonString() },
                        new NpgsqlParameter { Value = (object?)outcome.TransitionTo ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text },
                    },
                },
                new NpgsqlBatchCommand("COMMIT"),
            },
        })
        {
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        metrics.JobRowWrites.Increment();
        metrics.DbRoundTrips.Add(2, "progress");
        await tableChanges.TablesChangedAsync(s_jobTable, cancellationToken);
        foreach (var line in outcome.Lines)
        {
            jobLog.Append(jobId, line.Level, line.Message);
        }

        if (settings.JobLogStyle == JobLogStyle.Summary)
        {
            // The compact log: one line per progress write instead of Antenna's lines per result.
            jobLog.Append(jobId, JobLogLevel.Info, Describe(jobId, snapshot));
            if (outcome.TransitionTo is not null)
            {
                jobLog.Append(jobId, outcome.TransitionTo == JobProgressRules.Failure ? JobLogLevel.Error : JobLogLevel.Info,
                    $"Job {jobId} finished with status {outcome.TransitionTo}");
            }
        }

        return new ProgressWrite(outcome.TransitionTo is not null, outcome.TransitionTo, outcome.Complete, outcome.StagesSummary);
    }

    private static string Describe(long jobId, JobStateSnapshot snapshot) => string.Create(
        CultureInfo.InvariantCulture,
        $"Job {jobId} progress: {snapshot.ProcessedProcess}/{snapshot.Total} images processed ({snapshot.ProcessPercentage * 100:0.#}%), " +
        $"{snapshot.RemainingProcess} remaining, {snapshot.Failed} failed; results saved for {snapshot.ProcessedResults}/{snapshot.Total}: " +
        $"{snapshot.Counts.Captures} captures, {snapshot.Counts.Detections} detections, {snapshot.Counts.Classifications} classifications");

    private sealed class Slot
    {
        public JobStateSnapshot? Pending { get; set; }

        public long LastWrite { get; set; }

        public long LastActivity { get; set; } = Stopwatch.GetTimestamp();

        public ProgressWrite LastOutcome { get; set; }

        public SemaphoreSlim WriteLock { get; } = new(1, 1);
    }

    private static partial class Log
    {
        [LoggerMessage(3200, LogLevel.Warning, "progress of job {JobId} not written yet; will retry")]
        public static partial void WriteFailed(ILogger logger, long jobId, Exception exception);
    }
}
