using System.Text.RegularExpressions;
using AntennaIngest.Core.Processing;
using static AntennaIngest.IntegrationTests.Writing.Results;

namespace AntennaIngest.IntegrationTests.Writing;

public sealed partial class SaveLogLinesTests
{
    [Fact]
    public async Task A_result_with_a_reused_and_a_new_detection_gets_antennas_save_lines_through_the_group_saver()
    {
        await using var fixture = await WritePathFixture.CreateAsync();
        var image = await fixture.ImageAsync("a/1.jpg");
        var occurrence = await fixture.Seeder.OccurrenceAsync(fixture.Event, fixture.Deployment, fixture.Project, fixture.Luna, 0.6);
        var existing = await fixture.Seeder.DetectionAsync(image, fixture.Detector, "[10, 20, 110, 220]", occurrence, path: "p.jpg", timestamp: fixture.ImageTime);
        await fixture.Seeder.ClassificationAsync(existing, fixture.Luna, fixture.Species, 0.6, categoryMapId: fixture.SpeciesMap, scores: [0.6, 0.2, 0.1, 0.1]);
        var pipeline = (await fixture.Database.RowsAsync("SELECT id, name, version FROM ml_pipeline WHERE slug = 'main'")).Single();
        var keys = (await fixture.Database.RowsAsync(
            "SELECT a.key FROM ml_pipeline_algorithms pa JOIN ml_algorithm a ON a.id = pa.algorithm_id JOIN ml_pipeline p ON p.id = pa.pipeline_id WHERE p.slug = 'main' ORDER BY a.name, a.version, a.id"))
            .Select(r => (string)r[0]!);
        var saver = fixture.Saver(prepare: false, connections: 2);
        await saver.StartAsync(CancellationToken.None);

        var outcome = await saver.SaveAsync(
            new SaveRequest(1, Response(
                "main",
                [image],
                Detection(image, Box(500, 500, 600, 600), classifications: [Classification("species", "Actias luna", [0.9, 0.05, 0.03, 0.02])]),
                Detection(image, Box(10, 20, 110, 220), classifications: [Classification("species", "Agrotis ipsilon", [0.1, 0.8, 0.05, 0.05])]))),
            CancellationToken.None);
        await saver.StopAsync(CancellationToken.None);

        var summary = outcome.Summary!;
        var list = (await fixture.Database.RowsAsync("SELECT id, name FROM main_taxalist")).Single();
        Assert.All(summary.LogLines, l => Assert.Equal(JobLogLevel.Info, l.Level));
        var lines = summary.LogLines.Select(l => l.Message).ToList();
        Assert.Matches(SavedIn(), lines[^1]);
        Assert.Equal(
        [
            "Saving results from pipeline main",
            "Algorithms registered for pipeline: \n" + string.Join(", ", keys),
            "Created 1 new detections, updated 1 existing detections, for 1 source image(s)",
            $"Created new taxa list #{list[0]} {list[1]}",
            "Created 2 new classifications, updated 0 existing classifications for 2 detections.",
            $"Determining occurrences for 2 detections for source image {image}",
            "Created 1 new occurrences",
            "Updated 1 detections with occurrences",
            "Updated the determination of 2 occurrences, left 0 unchanged",
            $"Creating detection images in sub-task {summary.CropRequestId}",
            "Created 0 new detections, updated 0 existing detections, for 0 source image(s)",
            $"Saved results from pipeline #{pipeline[0]} \"{pipeline[1]}\" (main) v{pipeline[2]} in",
        ], [.. lines[..^1], Regex.Replace(lines[^1], @" [0-9]+\.[0-9]{2} seconds$", "")]);
    }

    [GeneratedRegex(@" in [0-9]+\.[0-9]{2} seconds$")]
    private static partial Regex SavedIn();
}
