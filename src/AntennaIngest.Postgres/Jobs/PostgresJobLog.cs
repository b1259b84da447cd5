using System.Collections.Concurrent;
using AntennaIngest.Core.Configuration;
using AntennaIngest.Core.Metrics;
using AntennaIngest.Core.Processing;
using AntennaIngest.Postgres.Connections;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AntennaIngest.Postgres.Jobs;

/// <summary>
/// Job log lines (jobs_joblog, what the job view shows) buffered and written as one multi-row
/// INSERT every <see cref="FlushInterval"/> instead of one round trip per line. Lines are echoed
/// to the process log like Antenna's JobLogHandler does. Rows for a job deleted meanwhile are
/// skipped, not failed on. The buffer is bounded: when the database is away for long, the oldest
/// lines are dropped (counted) rather than growing memory.
/// </summary>
public sealed partial class PostgresJobLog(
    NpgsqlDataSource dataSource,
    DatabaseSettings settings,
    IngestMetrics metrics,
    ITableChangeNotifier tableChanges,
    ILogger<PostgresJobLog> logger) : BackgroundService, IJobLog
{
    private static readonly string[] s_logTable = ["jobs_joblog"];

    public static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(200);
    private const int MaxBuffered = 50_000;
    private const int MaxBatch = 5_000;

    private readonly ConcurrentQueue<Entry> _buffer = new();
    private readonly SemaphoreSlim _flushLock = new(1, 1);
    private int _count;
    private int _dropping;

    public void Append(long jobId, JobLogLevel level, string message)
    {
        switch (level)
        {
            case JobLogLevel.Error:
                Log.JobError(logger, jobId, message);
                break;
            case JobLogLevel.Warning:
                Log.JobWarning(logger, jobId, message);
                break;
            default:
                Log.JobInfo(logger, jobId, message);
                break;
        }

        if (!settings.JobLogPersist)
        {
            return;
        }

        _buffer.Enqueue(new Entry(jobId, level, message, DateTime.UtcNow));
        if (Interlocked.Increment(ref _count) > MaxBuffered && _buffer.TryDequeue(out _))
        {
            Interlocked.Decrement(ref _count);
            metrics.JobLogDropped.Increment();
            if (Interlocked.Exchange(ref _dropping, 1) == 0)
            {
                Log.Dropping(logger, MaxBuffered);
            }
        }
    }

    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        await _flushLock.WaitAsync(cancellationToken);
        var inserted = false;
        try
        {
            while (!_buffer.IsEmpty)
            {
                var batch = new List<Entry>(Math.Min(Volatile.Read(ref _count), MaxBatch));
                while (batch.Count < MaxBatch && _buffer.TryDequeue(out var entry))
                {
                    batch.Add(entry);
                }

                Interlocked.Add(ref _count, -batch.Count);
                try
                {
                    await InsertAsync(batch, cancellationToken);
                    inserted = true;
                    Volatile.Write(ref _dropping, 0);
                }
                catch (Exception e) when (PostgresErrors.IsTransient(e) || e is OperationCanceledException)
                {
                    // Requeued behind newer lines: row order may change, created_at keeps the real time.
                    foreach (var entry in batch)
                    {
                        _buffer.Enqueue(entry);
                    }

                    Interlocked.Add(ref _count, batch.Count);
                    throw;
                }
            }
        }
        finally
        {
            if (inserted)
            {
                await tableChanges.TablesChangedAsync(s_logTable, CancellationToken.None);
            }

            _flushLock.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(FlushInterval);
        var failures = 0; // consecutive: an outage is logged when it starts and when it ends, not every tick
        while (true)
        {
            try
            {
                await timer.WaitForNextTickAsync(stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            try
            {
                await FlushAsync(stoppingToken);
                if (failures > 0)
                {
                    Log.FlushRecovered(logger, failures);
                    failures = 0;
                }
            }
            catch (Exception e) when (PostgresErrors.IsTransient(e))
            {
                if (++failures == 1)
                {
                    Log.FlushFailed(logger, Volatile.Read(ref _count), e);
                }
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await FlushAsync(cancellationToken);
        }
        catch (Exception e) when (PostgresErrors.IsTransient(e) || e is OperationCanceledException)
        {
            Log.FlushFailed(logger, Volatile.Read(ref _count), e);
        }
    }

    private async Task InsertAsync(List<Entry> batch, CancellationToken cancellationToken)
    {
        var times = new DateTime[batch.Count];
        var jobs = new long[batch.Count];
        var levels = new string[batch.Count];
        var messages = new string[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            times[i] = batch[i].At;
            jobs[i] = batch[i].JobId;
            levels[i] = batch[i].Level switch
            {
                JobLogLevel.Error => "ERROR",
                JobLogLevel.Warning => "WARNING",
                _ => "INFO",
            };
            messages[i] = batch[i].Message;
        }

        await using var command = dataSource.CreateCommand(
            """
            INSERT INTO jobs_joblog (created_at, updated_at, job_id, level, message, context)
            SELECT u.at, u.at, u.job, u.level, u.message, '{}'::jsonb
            FROM unnest($1::timestamptz[], $2::bigint[], $3::text[], $4::text[]) WITH ORDINALITY AS u(at, job, level, message, n)
            WHERE EXISTS (SELECT 1 FROM jobs_job j WHERE j.id = u.job)
            ORDER BY u.n
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = times });
        command.Parameters.Add(new NpgsqlParameter { Value = jobs });
        command.Parameters.Add(new NpgsqlParameter { Value = levels });
        command.Parameters.Add(new NpgsqlParameter { Value = messages });
        var inserted = await command.ExecuteNonQueryAsync(cancellationToken);
        metrics.JobLogRows.Add(inserted);
        metrics.DbRoundTrips.Increment("job_log");
    }

    private readonly record struct Entry(long JobId, JobLogLevel Level, string Message, DateTime At);

    private static partial class Log
    {
        // Info lines are per result; at Debug so the console is not the bottleneck under load.
        [LoggerMessage(3100, LogLevel.Debug, "job {JobId}: {Message}")]
        public static partial void JobInfo(ILogger logger, long jobId, string message);

        [LoggerMessage(3101, LogLevel.Warning, "job {JobId}: {Message}")]
        public static partial void JobWarning(ILogger logger, long jobId, string message);

        [LoggerMessage(3102, LogLevel.Error, "job {JobId}: {Message}")]
        public static partial void JobError(ILogger logger, long jobId, string message);

        [LoggerMessage(3103, LogLevel.Warning, "job log rows could not be written yet ({Buffered} buffered); retrying, logged once until they can")]
        public static partial void FlushFailed(ILogger logger, int buffered, Exception exception);

        [LoggerMessage(3105, LogLevel.Information, "job log rows are written again after {Failures} failed flushes")]
        public static partial void FlushRecovered(ILogger logger, int failures);

        [LoggerMessage(3104, LogLevel.Warning, "job log buffer full ({Capacity} lines): dropping the oldest lines until the database accepts writes again")]
        public static partial void Dropping(ILogger logger, int capacity);
    }
}
