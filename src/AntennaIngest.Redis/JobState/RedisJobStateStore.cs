using AntennaIngest.Core.Processing;
using AntennaIngest.Redis.Connections;
using StackExchange.Redis;

namespace AntennaIngest.Redis.JobState;

/// <summary>
/// Antenna's AsyncJobStateManager keys, updated atomically. The process stage is Antenna's own
/// MULTI/EXEC (SREM, SADD+EXPIRE, SCARDs, GET) with the counters read alongside; the results
/// stage is one script so that the counters grow in the same atomic step as the SREM that
/// removed the ids — a replay (SREM removes nothing) adds nothing, and a crash cannot separate
/// the two.
/// </summary>
public sealed class RedisJobStateStore(IConnectionMultiplexer redis, int database) : IJobStateStore
{
    // KEYS: pending:process, pending:results, failed, total, counts
    // ARGV: ttl, seed detections/classifications/captures, add detections/classifications/captures, ids...
    // The counters carry the run they were counted in; a hash of an earlier run (the job was re-run
    // and Antenna's cleanup does not know this key) is replaced by the seed, not added to.
    private const string ResultsStageScript = """
        if redis.call('EXISTS', KEYS[4]) == 0 then return false end
        local run = redis.call('PEXPIRETIME', KEYS[4])
        local removed = 0
        for i = 8, #ARGV, 500 do
          removed = removed + redis.call('SREM', KEYS[2], unpack(ARGV, i, math.min(i + 499, #ARGV)))
        end
        if redis.call('HGET', KEYS[5], 'run') ~= tostring(run) then
          redis.call('DEL', KEYS[5])
          redis.call('HSET', KEYS[5], 'detections', ARGV[2], 'classifications', ARGV[3], 'captures', ARGV[4], 'run', run)
        end
        if removed > 0 then
          redis.call('HINCRBY', KEYS[5], 'detections', ARGV[5])
          redis.call('HINCRBY', KEYS[5], 'classifications', ARGV[6])
          redis.call('HINCRBY', KEYS[5], 'captures', ARGV[7])
        end
        redis.call('EXPIRE', KEYS[5], ARGV[1])
        local counts = redis.call('HMGET', KEYS[5], 'detections', 'classifications', 'captures')
        return {removed, redis.call('SCARD', KEYS[1]), redis.call('SCARD', KEYS[2]), redis.call('SCARD', KEYS[3]),
                redis.call('GET', KEYS[4]), counts[1], counts[2], counts[3], run}
        """;

    private static readonly long s_ttlSeconds = (long)RedisKeys.JobStateTtl.TotalSeconds;

    private IDatabase Db => redis.GetDatabase(database);

    public async ValueTask<JobStateSnapshot?> UpdateProcessStageAsync(long jobId, IReadOnlyList<string> processedIds, IReadOnlyList<string> failedIds, CancellationToken cancellationToken) =>
        await RunAsync(async () =>
        {
            var transaction = Db.CreateTransaction();
            var removed = processedIds.Count > 0
                ? transaction.SetRemoveAsync(RedisKeys.PendingImages(jobId, "process"), ToValues(processedIds))
                : Task.FromResult(0L);
            if (failedIds.Count > 0)
            {
                _ = transaction.SetAddAsync(RedisKeys.FailedImages(jobId), ToValues(failedIds));
                _ = transaction.KeyExpireAsync(RedisKeys.FailedImages(jobId), RedisKeys.JobStateTtl);
            }

            var read = QueueSnapshotReads(transaction, jobId);
            await ExecuteAsync(transaction);
            return await SnapshotAsync(await removed, read);
        });

    public async ValueTask<JobStateSnapshot?> UpdateResultsStageAsync(long jobId, IReadOnlyList<string> processedIds, ResultCounts counts, ResultCounts seed, CancellationToken cancellationToken) =>
        await RunAsync(async () =>
        {
            var arguments = new List<RedisValue>(7 + processedIds.Count)
            {
                s_ttlSeconds,
                seed.Detections,
                seed.Classifications,
                seed.Captures,
                counts.Detections,
                counts.Classifications,
                counts.Captures,
            };
            arguments.AddRange(ToValues(processedIds));
            var result = await Db.ScriptEvaluateAsync(
                ResultsStageScript,
                [RedisKeys.PendingImages(jobId, "process"), RedisKeys.PendingImages(jobId, "results"), RedisKeys.FailedImages(jobId), RedisKeys.Total(jobId), RedisKeys.ResultCounts(jobId)],
                [.. arguments]);
            if (result.IsNull)
            {
                return null;
            }

            var values = (RedisResult[])result!;
            return new JobStateSnapshot(
                Total: (long)values[4],
                RemainingProcess: (long)values[1],
                RemainingResults: (long)values[2],
                Failed: (long)values[3],
                NewlyRemoved: (long)values[0],
                Counts: new ResultCounts((long)values[5], (long)values[6], (long)values[7]),
                Run: (long)values[8]);
        });

    public async ValueTask<JobStateSnapshot?> MarkFailedAsync(long jobId, IReadOnlyList<string> imageIds, CancellationToken cancellationToken) =>
        await RunAsync(async () =>
        {
            var transaction = Db.CreateTransaction();
            var members = ToValues(imageIds);
            var removed = transaction.SetRemoveAsync(RedisKeys.PendingImages(jobId, "process"), members);
            _ = transaction.SetRemoveAsync(RedisKeys.PendingImages(jobId, "results"), members);
            _ = transaction.SetAddAsync(RedisKeys.FailedImages(jobId), members);
            _ = transaction.KeyExpireAsync(RedisKeys.FailedImages(jobId), RedisKeys.JobStateTtl);
            var read = QueueSnapshotReads(transaction, jobId);
            await ExecuteAsync(transaction);
            return await SnapshotAsync(await removed, read);
        });

    public async ValueTask CleanupAsync(long jobId, CancellationToken cancellationToken) =>
        await RunAsync(async () =>
        {
            await Db.KeyDeleteAsync(
            [
                RedisKeys.PendingImages(jobId, "process"),
                RedisKeys.PendingImages(jobId, "results"),
                RedisKeys.FailedImages(jobId),
                RedisKeys.Total(jobId),
                RedisKeys.ResultCounts(jobId),
            ]);
            return true;
        });

    private static RedisValue[] ToValues(IReadOnlyList<string> ids)
    {
        var values = new RedisValue[ids.Count];
        for (var i = 0; i < ids.Count; i++)
        {
            values[i] = ids[i];
        }

        return values;
    }

    private static SnapshotReads QueueSnapshotReads(ITransaction transaction, long jobId) => new(
        transaction.SetLengthAsync(RedisKeys.PendingImages(jobId, "process")),
        transaction.SetLengthAsync(RedisKeys.PendingImages(jobId, "results")),
        transaction.SetLengthAsync(RedisKeys.FailedImages(jobId)),
        transaction.StringGetAsync(RedisKeys.Total(jobId)),
        transaction.HashGetAsync(RedisKeys.ResultCounts(jobId), ["detections", "classifications", "captures", "run"]),
        transaction.ExecuteAsync("PEXPIRETIME", (RedisKey)RedisKeys.Total(jobId)));

    private static async Task ExecuteAsync(ITransaction transaction)
    {
        if (!await transaction.ExecuteAsync())
        {
            // Only WATCH conditions abort a MULTI; none are used, so this is unexpected.
            throw new DependencyUnavailableException("redis", "transaction was not applied");
        }
    }

    private static async Task<JobStateSnapshot?> SnapshotAsync(long removed, SnapshotReads read)
    {
        var total = await read.Total;
        if (total.IsNull)
        {
            return null; // Antenna: a missing total key means the job's state is gone.
        }

        var counts = await read.Counts;
        var run = (long)await read.Run;
        // Counters of an earlier run of the job are not this run's: they start again from zero.
        var sameRun = !counts[3].IsNull && (long)counts[3] == run;
        return new JobStateSnapshot(
            Total: (long)total,
            RemainingProcess: await read.RemainingProcess,
            RemainingResults: await read.RemainingResults,
            Failed: await read.Failed,
            NewlyRemoved: removed,
            Counts: sameRun ? new ResultCounts(AsLong(counts[0]), AsLong(counts[1]), AsLong(counts[2])) : ResultCounts.Zero,
            Run: run);
    }

    private static long AsLong(RedisValue value) => value.IsNull ? 0 : (long)value;

    private static Task<T> RunAsync<T>(Func<Task<T>> operation) => RedisFailures.GuardAsync(operation);

    private sealed record SnapshotReads(
        Task<long> RemainingProcess,
        Task<long> RemainingResults,
        Task<long> Failed,
        Task<RedisValue> Total,
        Task<RedisValue[]> Counts,
        Task<RedisResult> Run);
}
