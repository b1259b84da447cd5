using AntennaIngest.Core.Crops;
using AntennaIngest.Core.Processing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AntennaIngest.Imaging.Service;

/// <summary>
/// Works off the durable crop set: takes a batch of requests, crops them, and removes them only
/// once their outcome is recorded — so a crash or restart loses nothing (the next start finds
/// the same requests, and detections already given a path are simply no longer selected).
/// Never part of a result's ack: results are acked before their crops exist, as in Antenna.
/// </summary>
public sealed partial class CropService(ICropQueue queue, CropProcessor processor, ILogger<CropService> logger) : BackgroundService
{
    private const int BatchSize = 16;
    private static readonly TimeSpan s_idle = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_retry = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var requests = await queue.PeekAsync(BatchSize, stoppingToken);
                if (requests.Count == 0)
                {
                    await Task.Delay(s_idle, stoppingToken);
                    continue;
                }

                var jobs = requests.GroupBy(r => r.ImageId).ToDictionary(g => g.Key, g => g.Max(r => r.JobId));
                var statistics = await processor.ProcessAsync([.. jobs.Keys], image => jobs.GetValueOrDefault(image), stoppingToken);
                await queue.CompleteAsync(requests, stoppingToken);
                Log.Batch(logger, statistics.Images, statistics.Created, statistics.Failed);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (DependencyUnavailableException e)
            {
                Log.Retrying(logger, e.Dependency, e);
                await DelayAsync(stoppingToken);
            }
        }
    }

    private static async Task DelayAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(s_retry, stoppingToken);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static partial class Log
    {
        [LoggerMessage(7000, LogLevel.Information, "crops: {Images} images, {Created} crops made, {Failed} failed")]
        public static partial void Batch(ILogger logger, int images, int created, int failed);

        [LoggerMessage(7001, LogLevel.Warning, "crops paused: {Dependency} unavailable; retrying")]
        public static partial void Retrying(ILogger logger, string dependency, Exception exception);
    }
}
