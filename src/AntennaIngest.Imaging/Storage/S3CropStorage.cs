using System.Net;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using AntennaIngest.Core.Configuration;
using AntennaIngest.Core.Crops;
using AntennaIngest.Core.Processing;

namespace AntennaIngest.Imaging.Storage;

/// <summary>
/// django-storages' S3Storage as Antenna configures it: objects under `location` (uploads), no
/// overwrite (a taken key gets Django's random suffix), the name without the location is what
/// Detection.path stores. Once the SDK's own retries are spent, a server error, throttling, a
/// timeout or a broken connection makes the store unavailable (crops pause and retry with
/// backoff); a refusal (403, a missing bucket) is the store's answer and stays an error.
/// </summary>
public sealed class S3CropStorage : ICropStorage, IDisposable
{
    private readonly S3StorageSettings _settings;
    private readonly AmazonS3Client _client;

    public S3CropStorage(S3StorageSettings settings)
    {
        _settings = settings;
        var config = new AmazonS3Config { RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED, ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED };
        if (settings.EndpointUrl is { } endpoint)
        {
            config.ServiceURL = endpoint;
            config.ForcePathStyle = true;
            config.AuthenticationRegion = settings.Region ?? "us-east-1";
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(settings.Region ?? "us-east-1");
        }

        _client = new AmazonS3Client(new BasicAWSCredentials(settings.AccessKeyId, settings.SecretAccessKey), config);
    }

    public async Task<string> SaveAsync(string name, byte[] jpeg, CancellationToken cancellationToken)
    {
        try
        {
            return await PutAsync(name, jpeg, cancellationToken);
        }
        catch (Exception e) when (IsTransient(e, cancellationToken))
        {
            throw new DependencyUnavailableException(FileSystemCropStorage.Dependency, $"S3 bucket {_settings.Bucket} at {_settings.EndpointUrl ?? "AWS"}: {e.Message}", e);
        }
        catch (AmazonS3Exception e)
        {
            throw new CropStoreRefusedException($"S3 bucket {_settings.Bucket} refused it ({(int)e.StatusCode} {e.ErrorCode}): {e.Message}", e);
        }
    }

    private static bool IsTransient(Exception e, CancellationToken cancellationToken) => e switch
    {
        AmazonServiceException service => service.StatusCode is 0 or HttpStatusCode.TooManyRequests or >= HttpStatusCode.InternalServerError || service.InnerException is HttpRequestException or IOException,
        AmazonClientException or HttpRequestException or IOException or System.Net.Sockets.SocketException => true,
        OperationCanceledException => !cancellationToken.IsCancellationRequested, // the SDK's timeout, not a shutdown
        _ => false,
    };

    private async Task<string> PutAsync(string name, byte[] jpeg, CancellationToken cancellationToken)
    {
        var candidate = name;
        for (var attempt = 0; attempt < 100 && await ExistsAsync(Key(candidate), cancellationToken); attempt++)
        {
            candidate = CropNames.WithSuffix(name, Random.Shared);
        }

        using var body = new MemoryStream(jpeg, writable: false);
        var request = new PutObjectRequest
        {
            BucketName = _settings.Bucket,
            Key = Key(candidate),
            InputStream = body,
            ContentType = "image/jpeg",

            // Plain signed payloads: S3-compatible servers (MinIO, s3rver, Ceph) differ in their
            // support of aws-chunked uploads with trailing checksums.
            UseChunkEncoding = false,
        };
        request.Headers.CacheControl = "max-age=604800, s-maxage=604800, must-revalidate";
        await _client.PutObjectAsync(request, cancellationToken);
        return candidate;
    }

    public void Dispose() => _client.Dispose();

    private string Key(string name) => _settings.Location.Length == 0 ? name : $"{_settings.Location}/{name}";

    private async Task<bool> ExistsAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            await _client.GetObjectMetadataAsync(_settings.Bucket, key, cancellationToken);
            return true;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }
}
