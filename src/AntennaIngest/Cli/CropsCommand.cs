using AntennaIngest.Core.Configuration;
using AntennaIngest.Core.Metrics;
using AntennaIngest.Core.Processing;
using AntennaIngest.Hosting;
using AntennaIngest.Imaging.Fetching;
using AntennaIngest.Imaging.Pool;
using AntennaIngest.Imaging.Service;
using AntennaIngest.Imaging.Storage;
using AntennaIngest.Postgres.Connections;
using AntennaIngest.Postgres.Crops;
using AntennaIngest.Redis.Connections;
using Microsoft.Extensions.Logging.Abstractions;

namespace AntennaIngest.Cli;

/// <summary>
/// `antenna-ingest crops --missing [--project N]`: Antenna's create_missing_detection_images.
/// Walks the images with path-less boxed detections in id order, once; null markers never
/// qualify, so it ends (Antenna's command re-selects marker-only images forever).
/// </summary>
internal static class CropsCommand
{
    private const int BatchSize = 50;

    public static async Task<int> RunAsync(long? projectId, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (!SettingsLoader.TryLoad(error, out var settings))
        {
            return ExitCodes.BadSettings;
        }

        await using var dataSource = PostgresDataSource.Create(settings.Database, NullLoggerFactory.Instance);
        await using var redis = settings.Redis.InvalidateDjangoCache ? await RedisConnector.ConnectAsync(settings.Redis) : null;
        var repository = new PostgresCropRepository(dataSource, settings.Database, TableChangeNotifiers.For(settings.Redis, redis, NullLoggerFactory.Instance));
        using var fetcher = new SourceFetcher();
        using var pool = new CropPool(settings.Crops.Threads, settings.Crops.QueueCapacity, settings.Crops.DecodeMemoryBudgetBytes);
        ICropStorage storage = settings.Crops.Storage == CropStorageKind.S3 ? new S3CropStorage(settings.Crops.S3!) : new FileSystemCropStorage(Path.GetFullPath(settings.Crops.MediaRoot));
        var log = new ConsoleErrors(error);
        var processor = new CropProcessor(repository, fetcher, pool, storage, settings.Crops, log, new IngestMetrics(new MetricsRegistry()));

        var total = new CropStatistics(0, 0, 0);
        var after = 0L;
        while (true)
        {
            var images = await repository.FindImagesMissingCropsAsync(projectId, after, BatchSize, cancellationToken);
            if (images.Count == 0)
            {
                break;
            }

            after = images[^1];
            total += await processor.ProcessAsync(images, _ => ConsoleErrors.Job, cancellationToken);
            output.WriteLine($"crops: {total.Images} images, {total.Created} crops made, {total.Failed} failed");
        }

        (storage as IDisposable)?.Dispose();
        output.WriteLine($"crops --missing done: {total.Images} images, {total.Created} crops made, {total.Failed} failed");
        return total.Failed == 0 ? ExitCodes.Ok : ExitCodes.Failed;
    }

    /// <summary>Failures go to stderr: the command has no job to log to.</summary>
    private sealed class ConsoleErrors(TextWriter error) : IJobLog
    {
        public const long Job = -1;

        public void Append(long jobId, JobLogLevel level, string message) => error.WriteLine(message);

        public ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
