using AntennaIngest.Core.Configuration;
using AntennaIngest.Core.Crops;
using AntennaIngest.Core.Metrics;
using AntennaIngest.Core.Processing;
using AntennaIngest.Imaging.Fetching;
using AntennaIngest.Imaging.Pool;
using AntennaIngest.Imaging.Service;
using AntennaIngest.Imaging.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AntennaIngest.Imaging;

/// <summary>The crop pool, fetcher, storage and processor; the crop service when INGEST_CROPS is on.</summary>
public static class ImagingRegistration
{
    public static void AddProcessor(IServiceCollection services, CropSettings settings)
    {
        services.AddSingleton(settings);
        services.AddSingleton(sp =>
        {
            var pool = new CropPool(settings.Threads, settings.QueueCapacity, settings.DecodeMemoryBudgetBytes);
            sp.GetRequiredService<IngestMetrics>().CropQueue.Observe(() => pool.Queued);
            return pool;
        });
        services.AddSingleton(_ => new SourceFetcher());
        services.AddSingleton<ICropStorage>(_ => settings.Storage == CropStorageKind.S3
            ? new S3CropStorage(settings.S3!)
            : new FileSystemCropStorage(Path.GetFullPath(settings.MediaRoot)));
        services.AddSingleton(sp => new CropProcessor(
            sp.GetRequiredService<ICropRepository>(),
            sp.GetRequiredService<SourceFetcher>(),
            sp.GetRequiredService<CropPool>(),
            sp.GetRequiredService<ICropStorage>(),
            settings,
            sp.GetRequiredService<IJobLog>(),
            sp.GetRequiredService<IngestMetrics>()));
    }

    public static void Add(IServiceCollection services, IngestSettings settings)
    {
        AddProcessor(services, settings.Crops);
        if (settings.Crops.Enabled)
        {
            services.AddSingleton<IHostedService>(sp => new CropService(
                sp.GetRequiredService<ICropQueue>(),
                sp.GetRequiredService<CropProcessor>(),
                sp.GetRequiredService<ILogger<CropService>>()));
        }
    }
}
