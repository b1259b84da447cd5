using static AntennaIngest.IntegrationTests.Writing.Results;

namespace AntennaIngest.IntegrationTests.Writing;

public sealed class ReuseTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_bbox_found_by_another_pipeline_is_reused_and_each_classification_stays_on_its_detection(bool prepare)
    {
        await using var fixture = await WritePathFixture.CreateAsync();
        var image = await fixture.ImageAsync("a/1.jpg");
        // Found earlier by the other pipeline; stored without decimals (jsonb compares numerically).
        var occurrence = await fixture.Seeder.OccurrenceAsync(fixture.Event, fixture.Deployment, fixture.Project, fixture.Luna, 0.6);
        var existing = await fixture.Seeder.DetectionAsync(image, fixture.OtherDetector, "[10, 20, 110.5, 220.25]", occurrence, timestamp: fixture.ImageTime);
        var stored = await fixture.Seeder.ClassificationAsync(existing, fixture.Luna, fixture.Species, 0.6, categoryMapId: fixture.SpeciesMap, scores: [0.6, 0.2, 0.1, 0.1]);
        var before = (await fixture.Database.RowsAsync("SELECT updated_at FROM main_occurrence WHERE id = $1", occurrence)).Single()[0];

        // The reused detection comes first, the new one second: Antenna's positional pairing would
        // swap their classifications (existing detections are returned first).
        var result = Response(
            "main",
            [image],
            Detection(image, Box(500, 500, 600, 600), classifications: [Classification("species", "Actias luna", [0.9, 0.05, 0.03, 0.02])]),
            Detection(image, Box(10, 20, 110.5, 220.25), crop: "crops/reused.jpg", classifications: [Classification("species", "Agrotis ipsilon", [0.1, 0.8, 0.05, 0.05])]));

        var summary = await WritePathFixture.SavedAsync(fixture.Writer(prepare), result);

        Assert.Equal((1, 1), (summary.DetectionsCreated, summary.DetectionsUpdated));
        Assert.Equal(1, summary.OccurrencesCreated);
        var detections = await fixture.Database.RowsAsync("SELECT id, bbox::text, detection_algorithm_id, path, occurrence_id, updated_at > created_at FROM main_detection ORDER BY id");
        Assert.Equal(2, detections.Count);
        Assert.Equal([existing, "[10, 20, 110.5, 220.25]", fixture.OtherDetector, "crops/reused.jpg", occurrence, true], detections[0]);
        var created = (long)detections[1][0]!;
        Assert.Equal("[500.0, 500.0, 600.0, 600.0]", detections[1][1]);

        var classifications = await fixture.Database.RowsAsync("SELECT id, detection_id, taxon_id, score FROM main_classification ORDER BY id");
        Assert.Equal([stored, existing, fixture.Luna, 0.6], classifications[0]);
        Assert.Equal([created, fixture.Luna, 0.9], classifications[1][1..]);
        Assert.Equal([existing, fixture.Ipsilon, 0.8], classifications[2][1..]);

        // The reused occurrence is re-determined over all its classifications; updated_at stays.
        var occurrenceRow = (await fixture.Database.RowsAsync("SELECT determination_id, determination_score, updated_at FROM main_occurrence WHERE id = $1", occurrence)).Single();
        Assert.Equal([fixture.Ipsilon, 0.8, before], occurrenceRow);
        Assert.Equal(2, summary.DeterminationsUpdated);
        Assert.Equal([image], summary.ImagesNeedingCrops);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_replay_changes_nothing(bool prepare)
    {
        await using var fixture = await WritePathFixture.CreateAsync();
        var image = await fixture.ImageAsync("a/1.jpg");
        var empty = await fixture.ImageAsync("a/2.jpg");
        var writer = fixture.Writer(prepare);
        var result = Response(
            "main",
            [image, empty],
            Detection(image, Box(1, 2, 3, 4), crop: "c/1.jpg", classifications:
            [
                Classification("binary", "moth", [0.9, 0.1], terminal: false),
                Classification("species", "Catocala", [0.1, 0.1, 0.7, 0.1], logits: [0.5, 0.5, 3.5, 0.5]),
            ]),
            Detection(image, null, classifications: [Classification("binary", "nonmoth", [0.3, 0.7])]));
        await WritePathFixture.SavedAsync(writer, result);
        var before = await fixture.DumpAsync();

        var summary = await WritePathFixture.SavedAsync(writer, result);

        Assert.Equal(before, await fixture.DumpAsync());
        Assert.Equal((0, 2, 0), (summary.DetectionsCreated, summary.DetectionsUpdated, summary.NullMarkersCreated));
        Assert.Equal((0, 3), (summary.ClassificationsCreated, summary.ClassificationsUpdated));
        Assert.Equal((0, 0, 0), (summary.OccurrencesCreated, summary.DeterminationsUpdated, summary.TaxaCreated));
        Assert.Contains("Created 0 new detections, updated 1 existing detections, for 1 source image(s)", summary.LogLines.Select(l => l.Message));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_image_without_detections_gets_one_null_marker_per_pipeline(bool prepare)
    {
        await using var fixture = await WritePathFixture.CreateAsync();
        var image = await fixture.ImageAsync("a/1.jpg");
        var writer = fixture.Writer(prepare);

        var first = await WritePathFixture.SavedAsync(writer, Response("main", [image]));
        var again = await WritePathFixture.SavedAsync(writer, Response("main", [image]));
        var other = await WritePathFixture.SavedAsync(writer, Response("other", [image]));

        Assert.Equal((1, 0, 1), (first.NullMarkersCreated, again.NullMarkersCreated, other.NullMarkersCreated));
        var markers = await fixture.Database.RowsAsync(
            """
            SELECT bbox, "timestamp", path, detection_algorithm_id, occurrence_id, detection_time = created_at, frame_num
            FROM main_detection ORDER BY id
            """);
        Assert.Equal(2, markers.Count);
        Assert.Equal([null, fixture.ImageTime.UtcDateTime, null, fixture.Detector, null, true, null], markers[0]);
        Assert.Equal([null, fixture.ImageTime.UtcDateTime, null, fixture.OtherDetector, null, true, null], markers[1]);
        Assert.Equal(0L, await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM main_occurrence"));
        Assert.Equal(0, await fixture.Database.ScalarAsync<int>("SELECT detections_count FROM main_sourceimage WHERE id = $1", image));
        // The null-marker pass's line, just before "Saved results …".
        Assert.Equal("Created 1 new detections, updated 0 existing detections, for 1 source image(s)", first.LogLines[^2].Message);
        Assert.Equal("Created 0 new detections, updated 1 existing detections, for 1 source image(s)", again.LogLines[^2].Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Null_bbox_detections_sent_by_the_service_are_reused_per_algorithm_and_get_an_occurrence(bool prepare)
    {
        await using var fixture = await WritePathFixture.CreateAsync();
        var image = await fixture.ImageAsync("a/1.jpg");
        var writer = fixture.Writer(prepare);
        var result = Response("main", [image], Detection(image, null, classifications: [Classification("binary", "moth", [0.6, 0.4])]));

        var first = await WritePathFixture.SavedAsync(writer, result);
        var second = await WritePathFixture.SavedAsync(writer, result);

        Assert.Equal((1, 0, 0), (first.DetectionsCreated, first.DetectionsUpdated, first.NullMarkersCreated));
        Assert.Equal((0, 1), (second.DetectionsCreated, second.DetectionsUpdated));
        var row = (await fixture.Database.RowsAsync("SELECT bbox, detection_algorithm_id, occurrence_id IS NOT NULL FROM main_detection")).Single();
        Assert.Equal([null, fixture.Detector, true], row);
        Assert.Equal(1L, await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM main_classification"));

        // Null-bbox detections are never counted.
        Assert.Equal(0, await fixture.Database.ScalarAsync<int>("SELECT detections_count FROM main_sourceimage WHERE id = $1", image));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Two_identical_bboxes_in_one_result_are_two_detections_and_a_replay_reuses_the_first_for_both(bool prepare)
    {
        // Antenna looks each box up before bulk-creating the result's new detections, so the
        // second identical box is not found; on a replay both find the first (lowest id).
        await using var fixture = await WritePathFixture.CreateAsync();
        var image = await fixture.ImageAsync("a/1.jpg");
        var result = Response(
            "main",
            [image],
            Detection(image, Box(1, 1, 5, 5), classifications: [Classification("species", "Actias luna", [0.9, 0.1, 0, 0])]),
            Detection(image, Box(1.0, 1.0, 5.0, 5.0), crop: "c.jpg", classifications: [Classification("species", "Agrotis ipsilon", [0.2, 0.8, 0, 0])]));

        var summary = await WritePathFixture.SavedAsync(fixture.Writer(prepare), result);

        Assert.Equal((2, 0, 2), (summary.DetectionsCreated, summary.DetectionsUpdated, summary.OccurrencesCreated));
        var rows = await fixture.Database.RowsAsync(
            "SELECT d.path, (SELECT count(*) FROM main_classification c WHERE c.detection_id = d.id), o.determination_id FROM main_detection d JOIN main_occurrence o ON o.id = d.occurrence_id ORDER BY d.id");
        Assert.Equal([[null, 1L, fixture.Luna], ["c.jpg", 1L, fixture.Ipsilon]], rows);

        var replay = await WritePathFixture.SavedAsync(fixture.Writer(prepare), result);

        Assert.Equal((0, 2, 0), (replay.DetectionsCreated, replay.DetectionsUpdated, replay.OccurrencesCreated));
        rows = await fixture.Database.RowsAsync(
            "SELECT d.path, (SELECT count(*) FROM main_classification c WHERE c.detection_id = d.id), o.determination_id FROM main_detection d JOIN main_occurrence o ON o.id = d.occurrence_id ORDER BY d.id");
        Assert.Equal([["c.jpg", 2L, fixture.Luna], ["c.jpg", 1L, fixture.Ipsilon]], rows);
    }
}
