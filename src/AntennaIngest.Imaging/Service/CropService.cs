using System.Diagnostics;
using AntennaIngest.Core.Crops;
using AntennaIngest.Core.Processing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AntennaIngest.Imaging.Service;

/// <summary>
/// Works off the durable crop set: claims a batch of requests, crops them, and ends the claims
/// only once their outcome is recorded — so a crash or restart loses nothing (the claims of a
/// dead instance run out and the requests are claimed again; detections already given a path
/// are simply no longer selected). Claims keep instances that share the set from cropping the
/// same image at once. Never part of a result's ack: results are acked before their crops
/// exist, as in Antenna.
/// </summary>
public sealed partial class CropService(ICropQueue queue, CropProcessor processor, ILogger<CropService> logger) : BackgroundService
{
    private const int BatchSize = 16;

    /// <summary>
    /// How long a claim outlives its holder: the delay before a killed instance's requests are
    /// cropped by another. Renewed every third of it while the batch is worked on, so a slow
    /// store delays nothing but that batch.
    /// </summary>
    public static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan s_idle = TimeSpan.FromSeconds(1);

    // A pause (Redis, PostgreSQL or the crop store unavailable) retries after 1 s, doubling to 30 s.
    private static readonly TimeSpan s_firstRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_longestRetry = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var retry = TimeSpan.Zero;
        long pausedAt = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            IReadOnlyList<CropRequest> requests = [];
            try
            {
                requests = await queue.ClaimAsync(BatchSize, Lease, stoppingToken);
                if (requests.Count == 0)
                {
                    await Task.Delay(s_idle, stoppingToken);
                    continue;
                }

                var statistics = await CropWhileRenewingAsync(requests, stoppingToken);
                await queue.CompleteAsync(requests, stoppingToken);
                Log.Batch(logger, statistics.Images, statistics.Created, statistics.Failed);
                if (pausedAt != 0)
                {
                    Log.Resumed(logger, Stopwatch.GetElapsedTime(pausedAt).TotalSeconds);
                    (retry, pausedAt) = (TimeSpan.Zero, 0);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                await ReleaseAsync(requests);
                return;
            }
            catch (DependencyUnavailableException e)
            {
                retry = retry == TimeSpan.Zero ? s_firstRetry : TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, s_longestRetry.Ticks));
                pausedAt = pausedAt == 0 ? Stopwatch.GetTimestamp() : pausedAt;
                Log.Retrying(logger, e.Dependency, retry.TotalSeconds, e);
                await ReleaseAsync(requests);
                await DelayAsync(retry, stoppingToken);
            }
        }
    }

    private async Task<CropStatistics> CropWhileRenewingAsync(IReadOnlyList<CropRequest> requests, CancellationToken stoppingToken)
    {
        var jobs = requests.GroupBy(r => r.ImageId).ToDictionary(g => g.Key, g => g.Max(r => r.JobId));
        using var renewal = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var renewing = RenewUntilCancelledAsync(requests, renewal.Token);
        try
        {
            return await processor.ProcessAsync([.. jobs.Keys], image => jobs.GetValueOrDefault(image), stoppingToken);
        }
        finally
        {
            await renewal.CancelAsync();
            await renewing;
        }
    }

    private async Task RenewUntilCancelledAsync(IReadOnlyList<CropRequest> requests, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Lease / 3);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                try
                {
                    await queue.RenewAsync(requests, Lease, cancellationToken);
                }
                catch (DependencyUnavailableException e)
                {
                    // The next tick tries again; if Redis stays away past the lease, another
                    // instance may crop these images too, which costs a file, not a crop.
                    Log.RenewFailed(logger, e.Dependency, e);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>At shutdown or a pause: hand unfinished requests back now rather than after their leases.</summary>
    private async Task ReleaseAsync(IReadOnlyList<CropRequest> requests)
    {
        try
        {
            await queue.ReleaseAsync(requests, CancellationToken.None);
        }
        catch (DependencyUnavailableException e)
        {
            Log.RenewFailed(logger, e.Dependency, e);
        }
    }

    private static async Task DelayAsync(TimeSpan delay, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(delay, stoppingToken);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static partial class Log
    {
        [LoggerMessage(7000, LogLevel.Information, "crops: {Images} images, {Created} crops made, {Failed} failed")]
        public static partial void Batch(ILogger logger, int images, int created, int failed);

        [LoggerMessage(7001, LogLevel.Warning, "crops paused: {Dependency} unavailable; retrying in {Seconds} s")]
        public static partial void Retrying(ILogger logger, string dependency, double seconds, Exception exception);

        [LoggerMessage(7002, LogLevel.Warning, "crop claims could not be renewed or released ({Dependency}); they run out by themselves")]
        public static partial void RenewFailed(ILogger logger, string dependency, Exception exception);

        [LoggerMessage(7003, LogLevel.Information, "crops resumed after {Seconds:F1} s paused")]
        public static partial void Resumed(ILogger logger, double seconds);
    }
}
