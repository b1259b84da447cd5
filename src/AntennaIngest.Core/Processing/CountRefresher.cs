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

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = settings.CountsRefreshInterval > TimeSpan.Zero ? settings.CountsRefreshInterval : TimeSpan.FromMilliseconds(100);
        using var timer = new PeriodicTimer(interval);
        while (true)
        {
            try
            {
                await RefreshAllAsync(stoppingToken);
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
                Log.RefreshFailed(logger, e.Dependency, e);
            }
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

        [LoggerMessage(2601, LogLevel.Warning, "recounting events/deployments failed ({Dependency}); will retry")]
        public static partial void RefreshFailed(ILogger logger, string dependency, Exception exception);
    }
}
