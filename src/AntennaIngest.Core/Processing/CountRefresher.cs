using AntennaIngest.Core.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AntennaIngest.Core.Processing;

/// <summary>
/// Recomputes the calculated counts of events and deployments that results touched, at most
/// once per interval per id, from the durable dirty sets. Antenna recomputes every touched
/// event and deployment on every single result (whole-deployment aggregates each time); under
/// load that is most of its database time. Counts are exact one interval after the queue drains.
/// </summary>
public sealed partial class CountRefresher(
    IDirtyCountSource dirty,
    ICalculatedCounts counts,
    DatabaseSettings settings,
    ILogger<CountRefresher> logger) : BackgroundService
{
    private const int BatchSize = 500;

    /// <summary>The longest wait between attempts while a dependency is down.</summary>
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = settings.CountsRefreshInterval > TimeSpan.Zero ? settings.CountsRefreshInterval : TimeSpan.FromMilliseconds(100);
        using var timer = new PeriodicTimer(interval);
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RefreshAllAsync(stoppingToken);
                if (failures > 0)
                {
                    Log.Recovered(logger, failures);
                    failures = 0;
                }

                if (!await timer.WaitForNextTickAsync(stoppingToken))
                {
                    return;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (DependencyUnavailableException e)
            {
                // Counts are off the ack path, so waiting costs no result anything; retrying at once
                // spun in a loop that logged a warning every few ms while PostgreSQL restarted.
                if (++failures == 1)
                {
                    Log.RefreshFailed(logger, e.Dependency, e);
                }

                await WaitQuietlyAsync(Backoff(interval, failures), stoppingToken);
            }
        }
    }

    /// <summary>The interval doubled per consecutive failure, at most <see cref="MaxBackoff"/>.</summary>
    public static TimeSpan Backoff(TimeSpan interval, int failures)
    {
        var doubled = interval.Ticks * Math.Pow(2, Math.Min(failures, 30));
        return TimeSpan.FromTicks((long)Math.Min(doubled, MaxBackoff.Ticks));
    }

    private static async Task WaitQuietlyAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One last pass at shutdown (the pump has drained), so counts are exact when the process ends.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await RefreshAllAsync(cancellationToken);
        }
        catch (Exception e) when (e is DependencyUnavailableException or OperationCanceledException)
        {
            Log.RefreshFailed(logger, "shutdown", e);
        }
    }

    /// <summary>Refreshes everything marked so far (also used by tests and at shutdown).</summary>
    public async Task RefreshAllAsync(CancellationToken cancellationToken)
    {
        await RefreshAsync(DirtyKind.Events, cancellationToken);
        await RefreshAsync(DirtyKind.Deployments, cancellationToken);
    }

    private async Task RefreshAsync(DirtyKind kind, CancellationToken cancellationToken)
    {
        while (true)
        {
            var batch = await dirty.TakeAsync(kind, BatchSize, cancellationToken);
            if (batch.Ids.Count == 0)
            {
                return;
            }

            if (kind == DirtyKind.Events)
            {
                await counts.RefreshEventsAsync(batch.Ids, cancellationToken);
            }
            else
            {
                await counts.RefreshDeploymentsAsync(batch.Ids, cancellationToken);
            }

            await dirty.CompleteAsync(batch, cancellationToken);
            Log.Refreshed(logger, batch.Ids.Count, kind.ToString().ToLowerInvariant());
            if (batch.Ids.Count < BatchSize)
            {
                return;
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(2600, LogLevel.Debug, "recounted {Count} {Kind}")]
        public static partial void Refreshed(ILogger logger, int count, string kind);

        [LoggerMessage(2601, LogLevel.Warning, "recounting events/deployments failed ({Dependency}); will retry with backoff, logged once until it works again")]
        public static partial void RefreshFailed(ILogger logger, string dependency, Exception exception);

        [LoggerMessage(2602, LogLevel.Information, "recounting events/deployments works again after {Failures} failed attempts")]
        public static partial void Recovered(ILogger logger, int failures);
    }
}
