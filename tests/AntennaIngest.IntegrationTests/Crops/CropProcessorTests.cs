using AntennaIngest.Core.Processing;
using SkiaSharp;

namespace AntennaIngest.IntegrationTests.Crops;

public sealed class CropProcessorTests
{
    [Fact]
    public async Task Crops_are_the_source_region_named_as_antenna_names_them_and_failures_stay_per_detection()
    {
        await using var world = await CropWorld.CreateAsync();
        using var source = CropWorld.Pattern(60, 50);
        var image = await world.ImageAsync("trap-7/2024-06-01/20240601021344-snapshot.png", CropWorld.Encode(source, SKEncodedImageFormat.Png));
        var inside = await world.DetectionAsync(image, [10.7, 20.2, 40.9, 45.5]);          // -> 10,20 .. 40,45
        var clamped = await world.DetectionAsync(image, [-5, -5, 30, 1000]);               // -> 0,0 .. 30,50
        var flat = await world.DetectionAsync(image, [50, 10, 50, 40]);                    // zero area
        var marker = await world.DetectionAsync(image, null);                              // null marker: never cropped
        var done = await world.DetectionAsync(image, [1, 1, 5, 5], path: "detections/already.jpg");

        var statistics = await world.CropAsync(world.Processor(), image);

        Assert.Equal(new Imaging.Service.CropStatistics(1, 2, 1), statistics);
        var expected = $"detections/{world.Project}/2024-06-01/20240601021344-snapshot_detection_{inside}.jpg";
        Assert.Equal(expected, await world.PathAsync(inside));
        Assert.Equal($"detections/{world.Project}/2024-06-01/20240601021344-snapshot_detection_{clamped}.jpg", await world.PathAsync(clamped));
        Assert.Null(await world.PathAsync(flat));
        Assert.Null(await world.PathAsync(marker));
        Assert.Equal("detections/already.jpg", await world.PathAsync(done));

        using var crop = SKBitmap.Decode(Path.Combine(world.MediaRoot, expected));
        Assert.Equal((30, 25), (crop.Width, crop.Height));
        var right = CropWorld.Difference(crop, source, 10, 20);
        Assert.True(right < 3, $"crop differs from its region by {right:F2}");
        Assert.True(CropWorld.Difference(crop, source, 11, 21) > right + 1.5, "a crop one pixel off would be told apart");
        using var wide = SKBitmap.Decode(Path.Combine(world.MediaRoot, $"detections/{world.Project}/2024-06-01/20240601021344-snapshot_detection_{clamped}.jpg"));
        Assert.Equal((30, 50), (wide.Width, wide.Height));

        var line = Assert.Single(world.Log.Lines);
        Assert.Equal((world.Job, JobLogLevel.Error), (line.Job, line.Level));
        Assert.Contains($"detection {flat}", line.Message, StringComparison.Ordinal);
        Assert.Contains("zero area", line.Message, StringComparison.Ordinal);
        Assert.Equal(2, world.Metrics.Crops.Value("created"));
        Assert.Equal(1, world.Metrics.Crops.Value("failed"));
    }

    [Fact]
    public async Task Only_detections_whose_path_is_null_are_cropped_as_antenna_selects_them()
    {
        // create_detection_images filters path__isnull=True: an empty-string path counts as done.
        await using var world = await CropWorld.CreateAsync();
        using var source = CropWorld.Pattern(40, 40);
        var image = await world.ImageAsync("empty-path.png", CropWorld.Encode(source, SKEncodedImageFormat.Png));
        var empty = await world.DetectionAsync(image, [5, 5, 25, 30], path: "");

        var statistics = await world.CropAsync(world.Processor(), image);

        Assert.Equal(new Imaging.Service.CropStatistics(0, 0, 0), statistics);
        Assert.Equal(string.Empty, await world.PathAsync(empty));
        Assert.Empty(await new AntennaIngest.Postgres.Crops.PostgresCropRepository(world.DataSource, world.Settings, AntennaIngest.Core.Processing.NoTableChangeNotifier.Instance).FindImagesMissingCropsAsync(null, 0, 10, CancellationToken.None));
    }

    [Fact]
    public async Task A_grayscale_jpeg_gives_grayscale_crops_and_a_taken_name_gets_a_suffix()
    {
        await using var world = await CropWorld.CreateAsync();
        using var source = CropWorld.Pattern(40, 40, grayscale: true);
        var image = await world.ImageAsync("gray.jpg", CropWorld.Encode(source, SKEncodedImageFormat.Jpeg, 100));
        var detection = await world.DetectionAsync(image, [5, 5, 25, 30]);
        var taken = Path.Combine(world.MediaRoot, $"detections/{world.Project}/2024-06-01/gray_detection_{detection}.jpg");
        Directory.CreateDirectory(Path.GetDirectoryName(taken)!);
        await File.WriteAllTextAsync(taken, "someone else's file");

        await world.CropAsync(world.Processor(), image);

        var path = await world.PathAsync(detection);
        Assert.Matches($@"^detections/{world.Project}/2024-06-01/gray_detection_{detection}_[A-Za-z0-9]{{7}}\.jpg$", path);
        Assert.Equal("someone else's file", await File.ReadAllTextAsync(taken));
        using var codec = SKCodec.Create(Path.Combine(world.MediaRoot, path!));
        Assert.Equal(SKColorType.Gray8, codec.Info.ColorType);
        Assert.Equal((20, 25), (codec.Info.Width, codec.Info.Height));
    }

    [Fact]
    public async Task Unreachable_truncated_slow_and_black_sources_fail_alone_and_the_rest_of_the_batch_is_cropped()
    {
        await using var world = await CropWorld.CreateAsync();
        using var good = CropWorld.Pattern(64, 64);
        var jpeg = CropWorld.Encode(good, SKEncodedImageFormat.Jpeg);
        using var black = new SKBitmap(new SKImageInfo(32, 32, SKColorType.Rgba8888, SKAlphaType.Opaque));
        black.Erase(SKColors.Black);
        var ok = await world.ImageAsync("ok.jpg", jpeg);
        var missing = await world.ImageAsync("missing.jpg", null);
        var truncated = await world.ImageAsync("truncated.jpg", jpeg[..(jpeg.Length / 2)]);
        var slow = await world.ImageAsync("slow/late.jpg", jpeg);
        var dark = await world.ImageAsync("dark.png", CropWorld.Encode(black, SKEncodedImageFormat.Png));
        var tiny = await world.ImageAsync("tiny.png", CropWorld.Encode(CropWorld.Pattern(3, 2), SKEncodedImageFormat.Png));
        var noUrl = await world.ImageAsync("nowhere.jpg", null, publicBaseUrl: null);
        var detections = new Dictionary<long, long>();
        foreach (var image in new[] { ok, missing, truncated, slow, dark, tiny, noUrl })
        {
            detections[image] = await world.DetectionAsync(image, [0, 0, 2, 2]);
        }

        var statistics = await world.CropAsync(world.Processor(), ok, missing, truncated, slow, dark, tiny, noUrl);

        Assert.Equal(2, statistics.Created); // ok and tiny
        Assert.NotNull(await world.PathAsync(detections[ok]));
        Assert.NotNull(await world.PathAsync(detections[tiny]));
        var messages = world.Log.Lines.Select(l => l.Message).ToList();
        Assert.True(messages.Count == 5, string.Join("\n", messages));
        Assert.Contains(messages, m => m.Contains($"source image {missing}", StringComparison.Ordinal) && m.Contains("404", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains($"source image {truncated}", StringComparison.Ordinal) && m.Contains("could not be decoded", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains($"source image {slow}", StringComparison.Ordinal) && m.Contains("timed out", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains($"source image {dark}", StringComparison.Ordinal) && m.Contains("Cropped image is empty", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains($"source image {noUrl}", StringComparison.Ordinal) && m.Contains("Public URL", StringComparison.Ordinal));
        Assert.True(messages.Count == 5, string.Join("\n", messages));
    }

    [Fact]
    public async Task A_twelve_megapixel_source_is_fetched_once_for_all_its_crops()
    {
        await using var world = await CropWorld.CreateAsync();
        using var large = CropWorld.Pattern(4000, 3000);
        var image = await world.ImageAsync("large.jpg", CropWorld.Encode(large, SKEncodedImageFormat.Jpeg, 85));
        var detections = new List<long>();
        for (var i = 0; i < 10; i++)
        {
            detections.Add(await world.DetectionAsync(image, [i * 300, i * 200, (i * 300) + 250, (i * 200) + 180]));
        }

        var before = world.Server.Requests;
        var statistics = await world.CropAsync(world.Processor(), image);

        Assert.Equal(10, statistics.Created);
        Assert.Equal(1, world.Server.Requests - before);
        foreach (var detection in detections)
        {
            Assert.NotNull(await world.PathAsync(detection));
        }
    }
}
