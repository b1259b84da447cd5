using AntennaIngest.Core.Contracts;

namespace AntennaIngest.Core.Crops;

/// <summary>A source image with the detections that still need a crop, and how to fetch it.</summary>
/// <param name="Path">SourceImage.path (the S3 key, and the crop's file name base).</param>
/// <param name="PublicBaseUrl">SourceImage.public_base_url.</param>
/// <param name="ProjectId">The image's project (Antenna names crops after it).</param>
/// <param name="S3">The deployment's data source when it has keys and no public base URL (presigned GET).</param>
public sealed record CropSource(
    long ImageId,
    string Path,
    string? PublicBaseUrl,
    long? ProjectId,
    S3SourceCredentials? S3,
    IReadOnlyList<CropTarget> Detections);

/// <summary>One detection to crop; <see cref="LocalDate"/> is its timestamp's date in TIME_ZONE, if any.</summary>
public sealed record CropTarget(long DetectionId, BoundingBox Bbox, DateOnly? LocalDate);

public sealed record S3SourceCredentials(string Bucket, string AccessKey, string SecretKey, string? EndpointUrl, string? Region);

/// <summary>main_detection reads and path writes for crops.</summary>
public interface ICropRepository
{
    /// <summary>The images among <paramref name="imageIds"/> that have detections with no path and a box.</summary>
    ValueTask<IReadOnlyList<CropSource>> LoadAsync(IReadOnlyList<long> imageIds, CancellationToken cancellationToken);

    /// <summary>Next images (id &gt; <paramref name="afterImageId"/>) with path-less boxed detections; null markers never qualify.</summary>
    ValueTask<IReadOnlyList<long>> FindImagesMissingCropsAsync(long? projectId, long afterImageId, int limit, CancellationToken cancellationToken);

    /// <summary>Sets the paths in one statement, only where no path was set meanwhile; returns rows changed.</summary>
    ValueTask<int> SavePathsAsync(IReadOnlyList<(long DetectionId, string Path)> paths, CancellationToken cancellationToken);
}

/// <summary>A pending crop request: the image, and the job whose log hears about failures (0 for none).</summary>
public readonly record struct CropRequest(long ImageId, long JobId, string Member);

/// <summary>
/// The durable set of images waiting for crops, shared by every instance. A request is claimed
/// before it is cropped, so two instances never crop the same image at once; a claim lasts for a
/// lease that its holder renews while it works, and a holder that dies without completing or
/// releasing simply lets the lease run out, after which the request is claimable again.
/// </summary>
public interface ICropQueue
{
    /// <summary>Up to <paramref name="limit"/> requests that no other live claim holds, each leased for <paramref name="lease"/>.</summary>
    ValueTask<IReadOnlyList<CropRequest>> ClaimAsync(int limit, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>Extends the leases still held (a lease that ran out and was claimed again is not taken back).</summary>
    ValueTask RenewAsync(IReadOnlyList<CropRequest> requests, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>Ends the claims of handled requests (only after their outcome is recorded).</summary>
    ValueTask CompleteAsync(IReadOnlyList<CropRequest> requests, CancellationToken cancellationToken);

    /// <summary>Gives unhandled requests back at once (shutdown), instead of waiting for their leases to run out.</summary>
    ValueTask ReleaseAsync(IReadOnlyList<CropRequest> requests, CancellationToken cancellationToken);
}
