using System.Collections.Concurrent;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using AntennaIngest.Core.Crops;

namespace AntennaIngest.Imaging.Fetching;

/// <summary>
/// Fetches a source image as SourceImage.public_url does: a presigned S3 GET with the deployment's
/// data-source keys when it has no public base URL, else the public base URL joined with the path
/// (urljoin semantics). Timeouts as Antenna's requests.get: connect 5 s, read 30 s.
/// </summary>
public sealed class SourceFetcher : IDisposable
{
    public const long MaxSourceBytes = 512L * 1024 * 1024;

    private readonly HttpClient _http;
    private readonly ConcurrentDictionary<S3SourceCredentials, AmazonS3Client> _s3 = new();

    public SourceFetcher(TimeSpan? connectTimeout = null, TimeSpan? readTimeout = null)
    {
        _http = new HttpClient(new SocketsHttpHandler { ConnectTimeout = connectTimeout ?? TimeSpan.FromSeconds(5), PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            Timeout = readTimeout ?? TimeSpan.FromSeconds(30),
            MaxResponseContentBufferSize = MaxSourceBytes,
        };
    }

    public Uri UrlOf(CropSource source)
    {
        if (source.S3 is { } s3)
        {
            return new Uri(Client(s3).GetPreSignedURL(new GetPreSignedUrlRequest
            {
                BucketName = s3.Bucket,
                Key = source.Path,
                Verb = HttpVerb.GET,
                Expires = DateTime.UtcNow.AddDays(7),
                Protocol = s3.EndpointUrl is { } endpoint && endpoint.StartsWith("http://", StringComparison.OrdinalIgnoreCase) ? Protocol.HTTP : Protocol.HTTPS,
            }));
        }

        if (!string.IsNullOrEmpty(source.PublicBaseUrl) && Uri.TryCreate(source.PublicBaseUrl, UriKind.Absolute, out var baseUrl)
            && Uri.TryCreate(baseUrl, source.Path.TrimStart('/'), out var url) && !string.IsNullOrEmpty(url.Host))
        {
            return url;
        }

        throw new CropSourceException($"Public URL for source image {source.ImageId} is not available. Public base URL: '{source.PublicBaseUrl}'");
    }

    public async Task<byte[]> FetchAsync(CropSource source, CancellationToken cancellationToken)
    {
        var url = UrlOf(source);
        try
        {
            using var response = await _http.GetAsync(url, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new CropSourceException($"{(int)response.StatusCode} {response.ReasonPhrase} for {Redact(url)}");
            }

            return await response.Content.ReadAsByteArrayAsync(cancellationToken);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CropSourceException($"timed out fetching {Redact(url)}");
        }
        catch (HttpRequestException e)
        {
            throw new CropSourceException($"cannot fetch {Redact(url)}: {e.Message}");
        }
    }

    public void Dispose()
    {
        _http.Dispose();
        foreach (var client in _s3.Values)
        {
            client.Dispose();
        }
    }

    private static string Redact(Uri url) => url.GetLeftPart(UriPartial.Path);

    private AmazonS3Client Client(S3SourceCredentials s3) =>
        _s3.GetOrAdd(s3, key =>
        {
            var config = new AmazonS3Config { ForcePathStyle = key.EndpointUrl is not null };
            if (key.EndpointUrl is { } endpoint)
            {
                config.ServiceURL = endpoint;
                config.AuthenticationRegion = key.Region ?? "us-east-1";
            }
            else
            {
                config.RegionEndpoint = RegionEndpoint.GetBySystemName(key.Region ?? "us-east-1");
            }

            return new AmazonS3Client(new BasicAWSCredentials(key.AccessKey, key.SecretKey), config);
        });
}

/// <summary>The source image of crops could not be fetched or located.</summary>
public sealed class CropSourceException(string message) : Exception(message);
