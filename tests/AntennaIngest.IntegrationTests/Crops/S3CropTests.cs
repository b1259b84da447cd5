using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using AntennaIngest.Core.Configuration;
using AntennaIngest.Imaging.Storage;
using AntennaIngest.Testing;
using SkiaSharp;

namespace AntennaIngest.IntegrationTests.Crops;

/// <summary>Sources behind presigned S3 GETs and crops stored in an S3 bucket, on a real S3-compatible server (s3rver).</summary>
public sealed class S3CropTests : IAsyncLifetime
{
    private static readonly string s_endpoint = Environment.GetEnvironmentVariable("INGEST_S3_ENDPOINT") is { Length: > 0 } endpoint ? endpoint : "http://127.0.0.1:54568";
    private readonly string _sources = $"sources-{Guid.NewGuid():N}"[..20];
    private readonly string _crops = $"crops-{Guid.NewGuid():N}"[..18];
    private readonly AmazonS3Client _client = new(new BasicAWSCredentials("S3RVER", "S3RVER"), new AmazonS3Config { ServiceURL = s_endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1", RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED });

    public async Task InitializeAsync()
    {
        await _client.PutBucketAsync(_sources);
        await _client.PutBucketAsync(_crops);
    }

    public Task DisposeAsync()
    {
        _client.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_private_source_is_fetched_presigned_and_crops_go_to_the_bucket_without_overwriting()
    {
        await using var world = await CropWorld.CreateAsync();
        var source = await new AntennaSeeder(world.Database.DataSource).S3StorageSourceAsync(world.Project, _sources, "S3RVER", "S3RVER", s_endpoint, publicBaseUrl: null);
        await world.Database.ExecuteAsync("UPDATE main_deployment SET data_source_id = $1 WHERE id = $2", source, world.Deployment);
        using var pattern = CropWorld.Pattern(80, 60);
        await _client.PutObjectAsync(new PutObjectRequest { BucketName = _sources, Key = "trap/night/20240601021344-snapshot.jpg", InputStream = new MemoryStream(CropWorld.Encode(pattern, SKEncodedImageFormat.Jpeg)), UseChunkEncoding = false });
        var image = await world.ImageAsync("trap/night/20240601021344-snapshot.jpg", null, publicBaseUrl: null);
        var first = await world.DetectionAsync(image, [1, 1, 40, 30]);
        var second = await world.DetectionAsync(image, [10, 10, 70, 50]);
        var taken = $"uploads/detections/{world.Project}/2024-06-01/20240601021344-snapshot_detection_{second}.jpg";
        await _client.PutObjectAsync(new PutObjectRequest { BucketName = _crops, Key = taken, ContentBody = "not ours", UseChunkEncoding = false });
        var storage = new S3CropStorage(new S3StorageSettings("S3RVER", "S3RVER", _crops, "us-east-1", s_endpoint, "uploads"));

        var statistics = await world.CropAsync(world.Processor(storage: storage, settings: world.CropSettings(CropStorageKind.S3)), image);

        Assert.True(statistics.Created == 2, string.Join("\n", world.Log.Lines.Select(l => l.Message)));
        Assert.Empty(world.Log.Lines);
        var firstPath = await world.PathAsync(first);
        Assert.Equal($"detections/{world.Project}/2024-06-01/20240601021344-snapshot_detection_{first}.jpg", firstPath);
        var stored = await _client.GetObjectAsync(_crops, "uploads/" + firstPath);
        Assert.Equal("image/jpeg", stored.Headers.ContentType);
        using (var bitmap = SKBitmap.Decode(stored.ResponseStream))
        {
            Assert.Equal((39, 29), (bitmap.Width, bitmap.Height));
        }

        var secondPath = await world.PathAsync(second);
        Assert.Matches($@"^detections/{world.Project}/2024-06-01/20240601021344-snapshot_detection_{second}_[A-Za-z0-9]{{7}}\.jpg$", secondPath);
        using var untouched = new StreamReader((await _client.GetObjectAsync(_crops, taken)).ResponseStream);
        Assert.Equal("not ours", await untouched.ReadToEndAsync());
    }

    [Fact]
    public async Task A_store_that_cannot_be_reached_pauses_the_crops_instead_of_failing_them()
    {
        await using var world = await CropWorld.CreateAsync();
        using var pattern = CropWorld.Pattern(80, 60);
        var image = await world.ImageAsync("trap/night/20240601021344-unreachable.png", CropWorld.Encode(pattern, SKEncodedImageFormat.Png));
        var detection = await world.DetectionAsync(image, [1, 1, 40, 30]);
        var nowhere = $"http://127.0.0.1:{LoopbackPorts.Free()}";
        var storage = new S3CropStorage(new S3StorageSettings("S3RVER", "S3RVER", _crops, "us-east-1", nowhere, "uploads"));

        var paused = await Assert.ThrowsAsync<AntennaIngest.Core.Processing.DependencyUnavailableException>(() => world.CropAsync(world.Processor(storage: storage, settings: world.CropSettings(CropStorageKind.S3)), image));

        Assert.Equal("crop-storage", paused.Dependency);
        Assert.Contains(nowhere, paused.Message, StringComparison.Ordinal);
        Assert.Null(await world.PathAsync(detection));
        Assert.Empty(world.Log.Lines); // a pause is no failure of the detection: nothing in the job log
        Assert.Equal(0, world.Metrics.Crops.Value("failed"));
    }

    [Fact]
    public async Task A_bucket_that_does_not_exist_fails_the_crop_with_the_stores_answer()
    {
        await using var world = await CropWorld.CreateAsync();
        using var pattern = CropWorld.Pattern(80, 60);
        var image = await world.ImageAsync("trap/night/20240601021344-nobucket.png", CropWorld.Encode(pattern, SKEncodedImageFormat.Png));
        var detection = await world.DetectionAsync(image, [1, 1, 40, 30]);
        var storage = new S3CropStorage(new S3StorageSettings("S3RVER", "S3RVER", "no-such-bucket-" + _crops, "us-east-1", s_endpoint, "uploads"));

        var statistics = await world.CropAsync(world.Processor(storage: storage, settings: world.CropSettings(CropStorageKind.S3)), image);

        Assert.Equal(new Imaging.Service.CropStatistics(1, 0, 1), statistics);
        Assert.Null(await world.PathAsync(detection));
        var line = Assert.Single(world.Log.Lines);
        Assert.Contains($"detection {detection}", line.Message, StringComparison.Ordinal);
        Assert.Contains("refused it (404 NoSuchBucket)", line.Message, StringComparison.Ordinal);
    }
}
