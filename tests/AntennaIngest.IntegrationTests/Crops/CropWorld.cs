using AntennaIngest.Core.Configuration;
using AntennaIngest.Core.Crops;
using AntennaIngest.Core.Metrics;
using AntennaIngest.Core.Processing;
using AntennaIngest.Imaging.Fetching;
using AntennaIngest.Imaging.Pool;
using AntennaIngest.Imaging.Service;
using AntennaIngest.Imaging.Storage;
using AntennaIngest.Postgres.Connections;
using AntennaIngest.Postgres.Crops;
using AntennaIngest.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using SkiaSharp;

namespace AntennaIngest.IntegrationTests.Crops;

/// <summary>A database with one project and its images on a loopback image server, and the crop processor.</summary>
public sealed class CropWorld : IAsyncDisposable
{
    private CropWorld(TestDatabase database, ImageServer server, string mediaRoot)
    {
        Database = database;
        Server = server;
        MediaRoot = mediaRoot;
    }

    public TestDatabase Database { get; }

    public ImageServer Server { get; }

    public string MediaRoot { get; }

    public long Project { get; private set; }

    public long Deployment { get; private set; }

    public long Event { get; private set; }

    public long Detector { get; private set; }

    public long Job { get; private set; }

    public RecordingJobLog Log { get; } = new();

    public IngestMetrics Metrics { get; } = new(new MetricsRegistry());

    public DatabaseSettings Settings { get; private set; } = null!;

    public NpgsqlDataSource DataSource { get; private set; } = null!;

    public static DateTimeOffset CaptureTime { get; } = new(2024, 6, 1, 6, 13, 44, TimeSpan.Zero); // 02:13:44 in New York

    public static async Task<CropWorld> CreateAsync()
    {
        var world = new CropWorld(await TestDatabase.CreateAsync("ingest_crops"), new ImageServer(), Path.Combine(Path.GetTempPath(), $"crops-{Guid.NewGuid():N}"));
        var seeder = new AntennaSeeder(world.Database.DataSource);
        world.Project = await seeder.ProjectAsync();
        world.Deployment = await seeder.DeploymentAsync(world.Project, "Trap");

        world.Event = await seeder.EventAsync(world.Deployment, world.Project, CaptureTime);
        world.Detector = await seeder.AlgorithmAsync("Detector", "detector", "detection");
        world.Job = await seeder.JobAsync(world.Project, null, 1);
        world.Settings = new SettingsReader(new Dictionary<string, string?> { ["DATABASE_URL"] = world.Database.PgbouncerUrl }).Read().Database;
        world.DataSource = PostgresDataSource.Create(world.Settings, NullLoggerFactory.Instance);
        return world;
    }

    public CropSettings CropSettings(CropStorageKind storage = CropStorageKind.FileSystem, S3StorageSettings? s3 = null) =>
        new(true, 2, 8, 256L * 1024 * 1024, 75, storage, MediaRoot, s3);

    public async Task<long> ImageAsync(string path, byte[]? content, string? publicBaseUrl = "default")
    {
        if (content is not null)
        {
            Server.Add("images/" + path, content);
        }

        return await new AntennaSeeder(Database.DataSource).SourceImageAsync(Deployment, Event, Project, path, CaptureTime, publicBaseUrl == "default" ? Server.BaseUrl : publicBaseUrl);
    }

    public async Task<long> DetectionAsync(long image, double[]? bbox, string? path = null) =>
        await Database.ScalarAsync<long>(
            """
            INSERT INTO main_detection (created_at, updated_at, bbox, "timestamp", path, source_image_id, detection_algorithm_id)
            SELECT now(), now(), $1::jsonb, si."timestamp", $2, si.id, $3 FROM main_sourceimage si WHERE si.id = $4 RETURNING id
            """,
            bbox is null ? null : "[" + string.Join(", ", bbox.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture))) + "]",
            path,
            Detector,
            image);

    public async Task<string?> PathAsync(long detection) =>
        await Database.ScalarAsync<string?>("SELECT path FROM main_detection WHERE id = $1", detection);

    public CropProcessor Processor(ICropStorage? storage = null, SourceFetcher? fetcher = null, CropSettings? settings = null)
    {
        settings ??= CropSettings();
        return new CropProcessor(
            new PostgresCropRepository(DataSource, Settings, AntennaIngest.Core.Processing.NoTableChangeNotifier.Instance),
            fetcher ?? new SourceFetcher(readTimeout: TimeSpan.FromSeconds(2)),
            new CropPool(settings.Threads, settings.QueueCapacity, settings.DecodeMemoryBudgetBytes),
            storage ?? new FileSystemCropStorage(MediaRoot),
            settings,
            Log,
            Metrics);
    }

    public Task<CropStatistics> CropAsync(CropProcessor processor, params long[] images) =>
        processor.ProcessAsync(images, _ => Job, CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        await Server.DisposeAsync();
        await Database.DisposeAsync();
        if (Directory.Exists(MediaRoot))
        {
            Directory.Delete(MediaRoot, recursive: true);
        }
    }

    /// <summary>Smooth gradients (4-5 levels per pixel), so a crop shifted by one pixel is measurably wrong.</summary>
    public static SKBitmap Pattern(int width, int height, bool grayscale = false)
    {
        var bitmap = new SKBitmap(new SKImageInfo(width, height, grayscale ? SKColorType.Gray8 : SKColorType.Rgba8888, SKAlphaType.Opaque));
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var r = (byte)Math.Min(255, 8 + (x * 4));
                var g = (byte)Math.Min(255, 8 + (y * 5));
                bitmap.SetPixel(x, y, grayscale ? new SKColor(r, r, r) : new SKColor(r, g, 128));
            }
        }

        return bitmap;
    }

    /// <summary>Mean absolute difference per channel between a decoded crop and a region of the source.</summary>
    public static double Difference(SKBitmap crop, SKBitmap source, int left, int top)
    {
        double sum = 0;
        for (var y = 0; y < crop.Height; y++)
        {
            for (var x = 0; x < crop.Width; x++)
            {
                var a = crop.GetPixel(x, y);
                var b = source.GetPixel(left + x, top + y);
                sum += Math.Abs(a.Red - b.Red) + Math.Abs(a.Green - b.Green) + Math.Abs(a.Blue - b.Blue);
            }
        }

        return sum / (crop.Width * crop.Height * 3.0);
    }

    public static byte[] Encode(SKBitmap bitmap, SKEncodedImageFormat format, int quality = 95)
    {
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, quality);
        return data.ToArray();
    }

    public sealed class RecordingJobLog : IJobLog
    {
        public List<(long Job, JobLogLevel Level, string Message)> Lines { get; } = [];

        public void Append(long jobId, JobLogLevel level, string message)
        {
            lock (Lines)
            {
                Lines.Add((jobId, level, message));
            }
        }

        public ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
