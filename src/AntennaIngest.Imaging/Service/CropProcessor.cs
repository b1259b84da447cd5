using AntennaIngest.Core.Configuration;
using AntennaIngest.Core.Crops;
using AntennaIngest.Core.Faults;
using AntennaIngest.Core.Metrics;
using AntennaIngest.Core.Processing;
using AntennaIngest.Imaging.Fetching;
using AntennaIngest.Imaging.Pool;
using AntennaIngest.Imaging.Storage;

namespace AntennaIngest.Imaging.Service;

/// <summary>What one batch of images produced.</summary>
public sealed record CropStatistics(int Images, int Created, int Failed)
{
    public static CropStatistics operator +(CropStatistics a, CropStatistics b) => new(a.Images + b.Images, a.Created + b.Created, a.Failed + b.Failed);
}

/// <summary>
/// Antenna's create_detection_images for a batch of images: each source fetched once, all its
/// path-less boxed detections cropped on the pool, stored, and the image's paths written in one UPDATE.
/// A failure is recorded for that detection (or image) only; the others go on. The crop store
/// being unavailable (disk full, S3 failing) is no failure of a detection: the crops stored so far
/// keep their paths, and the batch ends with <see cref="DependencyUnavailableException"/>, so the
/// service pauses and the detections still without a path are cropped when it retries.
/// </summary>
public sealed class CropProcessor(
    ICropRepository repository,
    SourceFetcher fetcher,
    CropPool pool,
    ICropStorage storage,
    CropSettings settings,
    IJobLog jobLog,
    IngestMetrics metrics)
{
    /// <summary>Images fetched and cropped at once (their crops share the crop pool's threads).</summary>
    public const int ConcurrentImages = 4;

    /// <param name="jobOf">The job whose log hears about an image's failures (0 for none).</param>
    public async Task<CropStatistics> ProcessAsync(IReadOnlyList<long> imageIds, Func<long, long> jobOf, CancellationToken cancellationToken)
    {
        var sources = await repository.LoadAsync(imageIds, cancellationToken);
        var created = 0;
        var failed = 0;
        DependencyUnavailableException? storeUnavailable = null;
        await Parallel.ForEachAsync(sources, new ParallelOptions { MaxDegreeOfParallelism = ConcurrentImages, CancellationToken = cancellationToken }, async (source, token) =>
        {
            var (made, errors, unavailable) = await CropImageAsync(source, token);
            if (unavailable is not null)
            {
                Interlocked.CompareExchange(ref storeUnavailable, unavailable, null);
            }

            // Paths are saved per image: a crash then leaves unreferenced only the crops of the
            // images in hand (at most ConcurrentImages), not those of the whole batch.
            FaultPoints.Hit(FaultPoints.DuringCrops);
            if (made.Count > 0)
            {
                await repository.SavePathsAsync(made, token);
                metrics.Crops.Add(made.Count, "created");
            }

            Interlocked.Add(ref created, made.Count);
            Interlocked.Add(ref failed, errors.Count);
            var job = jobOf(source.ImageId);
            foreach (var error in errors)
            {
                metrics.Crops.Increment("failed");
                if (job != 0)
                {
                    jobLog.Append(job, JobLogLevel.Error, error);
                }
            }
        });

        return storeUnavailable is null ? new CropStatistics(sources.Count, created, failed) : throw storeUnavailable;
    }

    private async Task<(List<(long, string)> Made, List<string> Errors, DependencyUnavailableException? StoreUnavailable)> CropImageAsync(CropSource source, CancellationToken cancellationToken)
    {
        var made = new List<(long, string)>();
        var errors = new List<string>();
        if (source.ProjectId is not { } project)
        {
            errors.Add($"Could not create detection images for source image {source.ImageId}: it belongs to no project");
            return (made, errors, null);
        }

        byte[] bytes;
        try
        {
            bytes = await fetcher.FetchAsync(source, cancellationToken);
        }
        catch (CropSourceException e)
        {
            errors.Add($"Could not create detection images for source image {source.ImageId}: {e.Message}");
            return (made, errors, null);
        }

        var outcomes = await pool.CropAsync(bytes, source.Detections.Select(d => (d.DetectionId, d.Bbox)).ToList(), settings.JpegQuality, cancellationToken);
        var dates = source.Detections.ToDictionary(d => d.DetectionId, d => d.LocalDate);
        foreach (var outcome in outcomes)
        {
            if (outcome.Jpeg is null)
            {
                errors.Add($"Could not create a detection image for detection {outcome.DetectionId} of source image {source.ImageId}: {outcome.Error}");
                continue;
            }

            var name = CropNames.Key(project, dates[outcome.DetectionId], source.Path, outcome.DetectionId);
            try
            {
                made.Add((outcome.DetectionId, await storage.SaveAsync(name, outcome.Jpeg, cancellationToken)));
            }
            catch (DependencyUnavailableException e)
            {
                return (made, errors, e); // the rest waits for the store; what was stored keeps its path
            }
            catch (CropStoreRefusedException e)
            {
                errors.Add($"Could not create a detection image for detection {outcome.DetectionId} of source image {source.ImageId}: {e.Message}");
            }
        }

        return (made, errors, null);
    }
}
