using AntennaIngest.Core.Planning;
using static AntennaIngest.IntegrationTests.Writing.Results;

namespace AntennaIngest.IntegrationTests.Writing;

public sealed class FailureTests
{
    [Theory]
    [InlineData("other-detector", "species")]
    [InlineData("detector", "unregistered")]
    public async Task An_algorithm_key_not_registered_on_the_pipeline_fails_the_result_with_nothing_written(string detector, string classifier)
    {
        await using var fixture = await WritePathFixture.CreateAsync();
        var image = await fixture.ImageAsync("a/1.jpg");
        var before = await fixture.DumpAsync();
        var result = Response(
            "main",
            [image],
            Detection(image, Box(1, 2, 3, 4), classifications: [Classification("species", "New taxon", [1.0])]),
            Detection(image, Box(5, 6, 7, 8), detector: detector, classifications: [Classification(classifier, "Actias luna", [0.9, 0.1, 0, 0])]));

        var outcome = await WritePathFixture.SaveAsync(fixture.Writer(prepare: false), result);

        Assert.False(outcome.Saved);
        Assert.Contains("is not a known algorithm. The processing service must declare it in the /info endpoint.", outcome.FailureReason, StringComparison.Ordinal);
        Assert.Equal(before, await fixture.DumpAsync());
    }

    [Fact]
    public async Task An_unknown_pipeline_gets_a_placeholder_and_the_result_fails()
    {
        await using var fixture = await WritePathFixture.CreateAsync();
        var image = await fixture.ImageAsync("a/1.jpg");
        var writer = fixture.Writer(prepare: false);

        var first = await WritePathFixture.SaveAsync(writer, Response("brand-new", [image], Detection(image, Box(1, 2, 3, 4))));
        var second = await WritePathFixture.SaveAsync(writer, Response("brand-new", [image]));

        Assert.Equal(WritePlanner.NoDetectionAlgorithm, first.FailureReason);
        Assert.Equal(WritePlanner.NoDetectionAlgorithm, second.FailureReason);
        // Antenna's default_stages(), compared as jsonb (key order is jsonb's).
        var pipeline = (await fixture.Database.RowsAsync(
            """
            SELECT name, version, version_name, description, default_config::text,
                   stages = '[{"key": "default", "name": "Default Stage", "params": [{"name": "Placeholder", "key": "default", "category": "placeholder", "value": 0}]}]'::jsonb
            FROM ml_pipeline WHERE slug = 'brand-new'
            """)).Single();
        Assert.Equal(["brand-new", 1, "", "", "{}", true], pipeline);
        Assert.Equal(0L, await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM main_detection"));
    }

    [Fact]
    public async Task A_pipeline_with_two_detection_algorithms_fails_and_empty_scores_fail()
    {
        await using var fixture = await WritePathFixture.CreateAsync();
        var image = await fixture.ImageAsync("a/1.jpg");
        await fixture.Seeder.PipelineAsync("two-detectors", fixture.Detector, fixture.OtherDetector);
        var writer = fixture.Writer(prepare: false);

        var two = await WritePathFixture.SaveAsync(writer, Response("two-detectors", [image]));
        var empty = await WritePathFixture.SaveAsync(writer, Response("main", [image], Detection(image, Box(1, 2, 3, 4), classifications: [Classification("species", "Actias luna", [])])));

        Assert.Equal(WritePlanner.SeveralDetectionAlgorithms, two.FailureReason);
        Assert.Equal("Classification \"Actias luna\" by species has no scores", empty.FailureReason);
        Assert.Equal(0L, await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM main_detection"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task In_a_group_only_the_bad_results_fail(bool prepare)
    {
        await using var fixture = await WritePathFixture.CreateAsync();
        var first = await fixture.ImageAsync("a/1.jpg");
        var second = await fixture.ImageAsync("a/2.jpg");
        var third = await fixture.ImageAsync("a/3.jpg");
        var writer = fixture.Writer(prepare);
        var requests = Requests(
            Response("main", [first], Detection(first, Box(1, 1, 2, 2), classifications: [Classification("species", "Actias luna", [0.9, 0.1, 0, 0])])),
            Response("main", [second], Detection(second, Box(1, 1, 2, 2), detector: "nope")),
            // A crop path longer than the column: only the database can tell (22001).
            Response("main", [third], Detection(third, Box(1, 1, 2, 2), crop: new string('x', 300))),
            Response("main", [second], Detection(second, Box(3, 3, 4, 4), classifications: [Classification("species", "Brand new", [1.0])])));

        var outcomes = await writer.WriteAsync(requests, CancellationToken.None);

        Assert.True(outcomes[0].Saved);
        Assert.Contains("is not a known algorithm", outcomes[1].FailureReason, StringComparison.Ordinal);
        Assert.StartsWith("Database rejected the result: value too long", outcomes[2].FailureReason, StringComparison.Ordinal);
        Assert.True(outcomes[3].Saved);
        Assert.Equal(1, outcomes[3].Summary!.TaxaCreated);
        var images = await fixture.Database.RowsAsync("SELECT DISTINCT source_image_id FROM main_detection ORDER BY 1");
        Assert.Equal([first, second], images.Select(r => (long)r[0]!));
        Assert.Equal(1L, await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM main_taxon WHERE name = 'Brand new'"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_result_with_several_images_marks_missing_ones_and_results_of_one_image_apply_in_order(bool prepare)
    {
        await using var fixture = await WritePathFixture.CreateAsync();
        var withDetections = await fixture.ImageAsync("a/1.jpg");
        var without = await fixture.ImageAsync("a/2.jpg");
        var writer = fixture.Writer(prepare);
        var several = new PipelineResultsResponseBuilder("main")
            .Image(withDetections).Image(without).Image(987654321).ImageId("not-a-number")
            .Add(Detection(withDetections, Box(1, 1, 2, 2), classifications: [Classification("species", "Actias luna", [0.9, 0.1, 0, 0])]))
            .Add(Detection(987654321, Box(1, 1, 2, 2)))
            .Build();
        var later = Response("main", [withDetections], Detection(withDetections, Box(1, 1, 2, 2), crop: "later.jpg", classifications: [Classification("species", "Agrotis ipsilon", [0.05, 0.95, 0, 0])]));

        var outcomes = await writer.WriteAsync([new(null, several), new(null, later)], CancellationToken.None);

        var summary = outcomes[0].Summary!;
        Assert.Equal([withDetections, without], summary.ImageIds);
        Assert.Equal(["987654321", "not-a-number"], summary.MissingImageIds);
        Assert.Equal((1, 1), (summary.DetectionsCreated, summary.NullMarkersCreated));
        Assert.Contains(summary.LogLines, l => l.Level == Core.Processing.JobLogLevel.Error && l.Message == "Source image 987654321 not found, skipping Detection creation");
        Assert.Contains("Created 1 new detections, updated 0 existing detections, for 2 source image(s)", summary.LogLines.Select(l => l.Message));

        // The second result saw the first one's detection: reused, crop path set, re-determined.
        Assert.Equal((0, 1), (outcomes[1].Summary!.DetectionsCreated, outcomes[1].Summary!.DetectionsUpdated));
        var rows = await fixture.Database.RowsAsync(
            "SELECT d.source_image_id, d.bbox IS NULL, d.path, o.determination_id FROM main_detection d LEFT JOIN main_occurrence o ON o.id = d.occurrence_id ORDER BY d.id");
        Assert.Equal(2, rows.Count);
        Assert.Equal([withDetections, false, "later.jpg", fixture.Ipsilon], rows[0]);
        Assert.Equal([without, true, null, null], rows[1]);
        Assert.Equal(2L, await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM main_classification"));
    }
}
