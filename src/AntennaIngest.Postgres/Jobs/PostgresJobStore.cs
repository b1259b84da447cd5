using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using AntennaIngest.Core.Processing;
using AntennaIngest.Core.Progress;
using AntennaIngest.Postgres.Connections;
using Npgsql;

namespace AntennaIngest.Postgres.Jobs;

/// <summary>
/// jobs_job reads for the result path, cached for about a second per job (thousands of results
/// of one job in flight would otherwise read the same row thousands of times), and Antenna's
/// _fail_job under a row lock.
/// </summary>
public sealed class PostgresJobStore(NpgsqlDataSource dataSource, IJobLog jobLog, ITableChangeNotifier tableChanges) : IJobStore
{
    private static readonly long s_cacheTicks = Stopwatch.Frequency;
    private static readonly string[] s_jobTable = ["jobs_job"];
    private readonly ConcurrentDictionary<long, CacheEntry> _cache = new();

    public async ValueTask<JobInfo?> GetAsync(long jobId, CancellationToken cancellationToken)
    {
        var now = Stopwatch.GetTimestamp();
        if (_cache.TryGetValue(jobId, out var entry) && now - entry.LoadedAt < s_cacheTicks && !entry.Load.IsFaulted)
        {
            return await entry.Load;
        }

        // The load is shared by every caller within the second, so no single caller may cancel it.
        var fresh = new CacheEntry(LoadAsync(jobId, CancellationToken.None), now);
        var current = _cache.AddOrUpdate(jobId, fresh, (_, old) => now - old.LoadedAt < s_cacheTicks && !old.Load.IsFaulted ? old : fresh);
        if (_cache.Count > 10_000)
        {
            Prune(now);
        }

        return await current.Load;
    }

    public async ValueTask<bool> FailJobAsync(long jobId, string reason, CancellationToken cancellationToken)
    {
        var (changed, oldStatus) = await PostgresErrors.GuardAsync(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            string status;
            JsonObject progress;
            await using (var select = new NpgsqlCommand("SELECT status, progress::text FROM jobs_job WHERE id = $1 FOR UPDATE", connection, transaction))
            {
                select.Parameters.Add(new NpgsqlParameter { Value = jobId });
                await using var reader = await select.ExecuteReaderAsync(cancellationToken);
                if (!await reader.ReadAsync(cancellationToken))
                {
                    return (false, (string?)null);
                }

                status = reader.GetString(0);
                progress = JsonNode.Parse(reader.GetString(1)) as JsonObject ?? [];
            }

            if (!JobProgressRules.ApplyFailJob(progress, status))
            {
                await transaction.CommitAsync(cancellationToken);
                return (false, status);
            }

            // Antenna's _fail_job saves status, progress and finished_at; updated_at stays.
            await using (var update = new NpgsqlCommand("UPDATE jobs_job SET status = 'FAILURE', progress = $2::jsonb, finished_at = now() WHERE id = $1", connection, transaction))
            {
                update.Parameters.Add(new NpgsqlParameter { Value = jobId });
                update.Parameters.Add(new NpgsqlParameter { Value = progress.ToJsonString() });
                await update.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
            return (true, status);
        });

        _cache.TryRemove(jobId, out _);
        if (changed)
        {
            await tableChanges.TablesChangedAsync(s_jobTable, cancellationToken);
            jobLog.Append(jobId, JobLogLevel.Info, TaskLogLines.StatusChanged(jobId, oldStatus!, "FAILURE"));
            jobLog.Append(jobId, JobLogLevel.Error, TaskLogLines.MarkedFailed(jobId, reason));
        }

        return changed;
    }

    /// <summary>Forgets the cached row (after this process changed it).</summary>
    public void Invalidate(long jobId) => _cache.TryRemove(jobId, out _);

    private Task<JobInfo?> LoadAsync(long jobId, CancellationToken cancellationToken) =>
        PostgresErrors.GuardAsync(async () =>
        {
            await using var command = dataSource.CreateCommand(
                "SELECT id, status, project_id, pipeline_id, dispatch_mode, progress::text, started_at FROM jobs_job WHERE id = $1");
            command.Parameters.Add(new NpgsqlParameter { Value = jobId });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }

            var progress = JsonNode.Parse(reader.GetString(5)) as JsonObject ?? [];
            return new JobInfo(
                reader.GetInt64(0),
                reader.GetString(1),
                reader.GetInt64(2),
                reader.IsDBNull(3) ? null : reader.GetInt64(3),
                reader.GetString(4),
                JobProgressRules.StoredCounts(progress),
                reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTime>(6));
        }).AsTask();

    private void Prune(long now)
    {
        foreach (var (id, entry) in _cache)
        {
            if (now - entry.LoadedAt > s_cacheTicks * 60)
            {
                _cache.TryRemove(id, out _);
            }
        }
    }

    private sealed record CacheEntry(Task<JobInfo?> Load, long LoadedAt);
}
