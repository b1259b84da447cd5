using AntennaIngest.Core.Processing;
using static AntennaIngest.IntegrationTests.Writing.Results;

namespace AntennaIngest.IntegrationTests.Writing;

public sealed class NewDetectionsTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task All_new_detections_leave_the_rows_save_results_leaves(bool prepare)
    {
        await using var fixture = await WritePathFixture.CreateAsync();
        var image = await fixture.ImageAsync("a/1.jpg");
        var writer = fixture.Writer(prepare);
        var result = Response(
            "main",
            [image],
            Detection(image, Box(10, 20, 110.5, 220.25), crop: "/crops/1.jpg", classifications:
            [
                Classification("binary", "moth", [0.9, 0.1], logits: [2.0, -2.0], terminal: false),
                Classification("species", "Actias luna", [0.7, 0.1, 0.1, 0.1], labels: WritePathFixture.SpeciesLabels),
            ]),
            Detection(image, Box(0.1, 1e-05, 50, 60), classifications:
            [
                Classification("binary", "moth", [0.8, 0.2], terminal: false),
                Classification("species", "Agrotis ipsilon", [0.2, 0.4, 0.3, 0.1], timestamp: Aware),
            ]));

        var summary = await WritePathFixture.SavedAsync(writer, result);

        var detections = await fixture.Database.RowsAsync(
            """
            SELECT bbox::text, "timestamp", path, detection_time, detection_algorithm_id, occurrence_id IS NOT NULL, frame_num, detection_score
            FROM main_detection ORDER BY id
            """);
        Assert.Equal(2, detections.Count);
        Assert.Equal(["[10.0, 20.0, 110.5, 220.25]", fixture.ImageTime.UtcDateTime, "/crops/1.jpg", new DateTime(2024, 6, 1, 16, 0, 0, DateTimeKind.Utc), fixture.Detector, true, null, null], detections[0]);
        Assert.Equal(["[0.1, 0.00001, 50.0, 60.0]", fixture.ImageTime.UtcDateTime, null, new DateTime(2024, 6, 1, 16, 0, 0, DateTimeKind.Utc), fixture.Detector, true, null, null], detections[1]);

        var classifications = await fixture.Database.RowsAsync(
            """
            SELECT d.bbox::text, c.taxon_id, c.algorithm_id, c.score, c."timestamp", c.logits, c.scores, c.terminal, c.category_map_id, c.applied_to_id
            FROM main_classification c JOIN main_detection d ON d.id = c.detection_id ORDER BY c.id
            """);
        var at = new DateTime(2024, 6, 1, 16, 0, 0, DateTimeKind.Utc);
        Assert.Equal(4, classifications.Count);
        Assert.Equal(["[10.0, 20.0, 110.5, 220.25]", fixture.Moth, fixture.Binary, 0.9, at, new[] { 2.0, -2.0 }, new[] { 0.9, 0.1 }, false, fixture.BinaryMap, null], classifications[0]);
        Assert.Equal(["[10.0, 20.0, 110.5, 220.25]", fixture.Luna, fixture.Species, 0.7, at, null, new[] { 0.7, 0.1, 0.1, 0.1 }, true, fixture.SpeciesMap, null], classifications[1]);
        Assert.Equal(["[0.1, 0.00001, 50.0, 60.0]", fixture.Moth, fixture.Binary, 0.8, at, null, new[] { 0.8, 0.2 }, false, fixture.BinaryMap, null], classifications[2]);
        Assert.Equal(["[0.1, 0.00001, 50.0, 60.0]", fixture.Ipsilon, fixture.Species, 0.4, new DateTime(2024, 6, 1, 12, 30, 0, DateTimeKind.Utc), null, new[] { 0.2, 0.4, 0.3, 0.1 }, true, fixture.SpeciesMap, null], classifications[3]);

        // One occurrence per detection; the terminal species classification beats the higher binary score.
        var occurrences = await fixture.Database.RowsAsync(
            """
            SELECT o.event_id, o.deployment_id, o.project_id, o.determination_id, o.determination_score, o.created_at = o.updated_at
            FROM main_detection d JOIN main_occurrence o ON o.id = d.occurrence_id ORDER BY d.id
            """);
        Assert.Equal([fixture.Event, fixture.Deployment, fixture.Project, fixture.Luna, 0.7, true], occurrences[0]);
        Assert.Equal([fixture.Event, fixture.Deployment, fixture.Project, fixture.Ipsilon, 0.4, true], occurrences[1]);

        var lists = await fixture.Database.RowsAsync(
            "SELECT l.name, array_agg(lt.taxon_id ORDER BY lt.taxon_id) FROM main_taxalist l JOIN main_taxalist_taxa lt ON lt.taxalist_id = l.id GROUP BY l.id ORDER BY l.name");
        Assert.Equal(["Taxa returned by Moth / non-moth", new[] { fixture.Moth }], lists[0]);
        Assert.Equal(["Taxa returned by Species classifier", new[] { fixture.Luna, fixture.Ipsilon }], lists[1]);

        // Only the 0.7 occurrence passes the project's 0.5 threshold; the data source's URL is filled in.
        var imageRow = (await fixture.Database.RowsAsync("SELECT detections_count, public_base_url, project_id, updated_at > created_at FROM main_sourceimage WHERE id = $1", image)).Single();
        Assert.Equal([1, "https://public.example.org/bucket", fixture.Project, true], imageRow);

        Assert.Equal(2, summary.DetectionsCreated);
        Assert.Equal(0, summary.DetectionsUpdated);
        Assert.Equal(0, summary.NullMarkersCreated);
        Assert.Equal(4, summary.ClassificationsCreated);
        Assert.Equal(2, summary.OccurrencesCreated);
        Assert.Equal(2, summary.DeterminationsUpdated);
        Assert.Equal(0, summary.TaxaCreated);
        Assert.Equal([image], summary.ImageIds);
        Assert.Equal([fixture.Event], summary.EventIds);
        Assert.Equal([fixture.Deployment], summary.DeploymentIds);
        Assert.Equal([image], summary.ImagesNeedingCrops);
        var messages = summary.LogLines.Select(l => l.Message).ToList();
        Assert.Contains("Created 2 new detections, updated 0 existing detections, for 1 source image(s)", messages);
        Assert.Contains("Created 4 new classifications, updated 0 existing classifications for 2 detections.", messages);
        Assert.Contains("Created 2 new occurrences", messages);
        Assert.Contains(messages, m => m.StartsWith("Created new taxa list #", StringComparison.Ordinal) && m.EndsWith(" Taxa returned by Species classifier", StringComparison.Ordinal));
        Assert.All(summary.LogLines, l => Assert.Equal(JobLogLevel.Info, l.Level));
    }
}
