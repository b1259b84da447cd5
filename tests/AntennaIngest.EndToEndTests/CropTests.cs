using AntennaIngest.Testing;

namespace AntennaIngest.EndToEndTests;

/// <summary>Crops made by the native binary, after results and on demand.</summary>
public sealed class CropTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Saved_results_get_their_crops_on_disk_and_in_detection_path()
    {
        await using var scenario = await IngestScenario.CreateAsync(images: 3);
        await using var server = await ServeImagesAsync(scenario);
        var media = Directory.CreateTempSubdirectory("crops-e2e-");
        var results = scenario.Images.Select(image => (image, IngestScenario.Result(image, detections: 2))).ToList();
        await scenario.PublishCeleryAsync(results);
        var environment = scenario.Environment();
        environment["INGEST_CROPS"] = "true";
        environment["MEDIA_ROOT"] = media.FullName;

        await using (var binary = NativeBinary.Start(environment, "run"))
        {
            await binary.WaitUntilAsync(
                async () => await scenario.Database.ScalarAsync<long>("SELECT count(*) FROM main_detection WHERE bbox IS NOT NULL AND path IS NOT NULL") == 6,
                s_timeout,
                "six crops");
            binary.Terminate();
            Assert.Equal(0, await binary.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        }

        var paths = (await scenario.Database.RowsAsync("SELECT id, path FROM main_detection WHERE bbox IS NOT NULL ORDER BY id")).Select(r => ((long)r[0]!, (string)r[1]!)).ToList();
        foreach (var (id, path) in paths)
        {
            Assert.Matches($@"^detections/\d+/2024-05-31/img\d_detection_{id}\.jpg$", path); // 02:00 UTC is the evening before in New York
            Assert.True(File.Exists(Path.Combine(media.FullName, path)), path);
        }

        media.Delete(recursive: true);
    }

    [Fact]
    public async Task Crops_missing_fills_every_missing_crop_and_ends_even_with_marker_only_images()
    {
        await using var scenario = await IngestScenario.CreateAsync(images: 3);
        await using var server = await ServeImagesAsync(scenario);
        var media = Directory.CreateTempSubdirectory("crops-missing-");
        var db = scenario.Database;
        await db.ExecuteAsync(
            """
            INSERT INTO main_detection (created_at, updated_at, bbox, "timestamp", source_image_id)
            SELECT now(), now(), '[2, 2, 20, 20]', si."timestamp", si.id FROM main_sourceimage si WHERE si.id = ANY($1)
            """,
            scenario.Images.Take(2).ToArray());
        await db.ExecuteAsync("""INSERT INTO main_detection (created_at, updated_at, bbox, "timestamp", source_image_id) SELECT now(), now(), NULL, si."timestamp", si.id FROM main_sourceimage si""");
        var environment = scenario.Environment();
        environment["MEDIA_ROOT"] = media.FullName;

        var (exitCode, stdout, stderr) = await NativeBinary.RunAsync(environment, s_timeout, "crops", "--missing");

        Assert.True(exitCode == 0, stdout + stderr);
        Assert.Contains("crops --missing done: 2 images, 2 crops made, 0 failed", stdout, StringComparison.Ordinal);
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM main_detection WHERE bbox IS NOT NULL AND path IS NULL"));
        Assert.Equal(3L, await db.ScalarAsync<long>("SELECT count(*) FROM main_detection WHERE bbox IS NULL AND path IS NULL"));
        media.Delete(recursive: true);
    }

    /// <summary>Serves one fixture JPEG for every image path of the scenario, and points the images at it.</summary>
    private static async Task<LoopbackHttpServer> ServeImagesAsync(IngestScenario scenario)
    {
        // A 64×48 gradient JPEG checked in as a fixture (the end-to-end tests carry no imaging library).
        var jpeg = await File.ReadAllBytesAsync(Path.Combine(NativeBinary.RepositoryRoot, "tests", "fixtures", "images", "gradient-64x48.jpg"));
        var server = new LoopbackHttpServer(_ => jpeg);
        await scenario.Database.ExecuteAsync("UPDATE main_sourceimage SET public_base_url = $1", $"http://127.0.0.1:{server.Port}/");
        return server;
    }
}
