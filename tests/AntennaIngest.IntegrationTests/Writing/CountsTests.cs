using static AntennaIngest.IntegrationTests.Writing.Results;

namespace AntennaIngest.IntegrationTests.Writing;

public sealed class CountsTests
{
    // Four detections on one image, determined as: Luna 0.9, Ipsilon 0.8, Moth 0.3, Luna 0.6 (the
    // last on an occurrence without an event, which deployments do not count).
    private static async Task<(long Image, long Orphan)> SeedAsync(WritePathFixture fixture, bool prepare)
    {
        var image = await fixture.ImageAsync("a/1.jpg", timestamp: new DateTimeOffset(2024, 5, 31, 23, 0, 0, TimeSpan.Zero));
        await fixture.ImageAsync("a/0.jpg", timestamp: new DateTimeOffset(2024, 5, 31, 21, 0, 0, TimeSpan.Zero));
        await fixture.ImageAsync("a/null.jpg", timestamp: null);
        var result = Response(
            "main",
            [image],
            Detection(image, Box(1, 1, 2, 2), classifications: [Classification("species", "Actias luna", [0.9, 0.1, 0, 0])]),
            Detection(image, Box(3, 3, 4, 4), classifications: [Classification("species", "Agrotis ipsilon", [0.2, 0.8, 0, 0])]),
            Detection(image, Box(5, 5, 6, 6), classifications: [Classification("binary", "moth", [0.3, 0.2])]));
        await WritePathFixture.SavedAsync(fixture.Writer(prepare), result);
        var orphan = await fixture.Seeder.OccurrenceAsync(null, fixture.Deployment, fixture.Project, fixture.Luna, 0.6);
        await fixture.Seeder.DetectionAsync(image, fixture.Detector, "[7, 7, 8, 8]", orphan, path: "p.jpg");
        return (image, orphan);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_score_threshold_filters_image_event_and_deployment_counts(bool prepare)
    {
        await using var fixture = await WritePathFixture.CreateAsync(scoreThreshold: 0.5);
        var (image, _) = await SeedAsync(fixture, prepare);
        await fixture.Database.ExecuteAsync("UPDATE main_event SET group_by = '' WHERE id = $1", fixture.Event);
        var counts = fixture.Counts();

        await counts.RefreshEventsAsync([fixture.Event], CancellationToken.None);
        await counts.RefreshDeploymentsAsync([fixture.Deployment], CancellationToken.None);

        // The image count was written with the result (before the orphan detection existed).
        Assert.Equal(2, await fixture.Database.ScalarAsync<int>("SELECT detections_count FROM main_sourceimage WHERE id = $1", image));
        var ev = (await fixture.Database.RowsAsync(
            """SELECT group_by, start, "end", captures_count, detections_count, occurrences_count, calculated_fields_updated_at IS NOT NULL, updated_at = created_at FROM main_event WHERE id = $1""",
            fixture.Event)).Single();
        // Start/end from the captures (end ignores the capture without timestamp); the group_by of
        // the old start in New York time; 3 detections pass (0.9, 0.8, orphan 0.6), and 2 of the event's occurrences.
        Assert.Equal(["2024-05-31", new DateTime(2024, 5, 31, 21, 0, 0, DateTimeKind.Utc), new DateTime(2024, 5, 31, 23, 0, 0, DateTimeKind.Utc), 3, 3, 2, true, true], ev);
        var deployment = (await fixture.Database.RowsAsync(
            """
            SELECT data_source_total_files, data_source_total_size, events_count, captures_count, detections_count, occurrences_count,
                   taxa_count, first_capture_timestamp, last_capture_timestamp, updated_at > created_at
            FROM main_deployment WHERE id = $1
            """,
            fixture.Deployment)).Single();
        Assert.Equal([3, null, 1, 3, 3, 2, 2, new DateTime(2024, 5, 31, 21, 0, 0, DateTimeKind.Utc), new DateTime(2024, 5, 31, 23, 0, 0, DateTimeKind.Utc), true], deployment);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Include_and_exclude_taxa_apply_with_their_descendants(bool prepare)
    {
        await using var fixture = await WritePathFixture.CreateAsync(scoreThreshold: 0.0);
        var genus = await fixture.Seeder.TaxonAsync("Actias", rank: "GENUS");
        await fixture.Database.ExecuteAsync(
            """UPDATE main_taxon SET parent_id = $1, parents_json = jsonb_build_array(jsonb_build_object('id', $1::bigint, 'name', 'Actias', 'rank', 'GENUS')) WHERE id = $2""",
            genus,
            fixture.Luna);
        await fixture.Seeder.IncludeTaxonAsync(fixture.Project, genus);
        var (image, _) = await SeedAsync(fixture, prepare);
        var counts = fixture.Counts();

        // Included: only Actias and below (Luna 0.9; the orphan Luna 0.6 was added after the result).
        Assert.Equal(1, await fixture.Database.ScalarAsync<int>("SELECT detections_count FROM main_sourceimage WHERE id = $1", image));
        await counts.RefreshEventsAsync([fixture.Event], CancellationToken.None);
        Assert.Equal(2, await fixture.Database.ScalarAsync<int>("SELECT detections_count FROM main_event WHERE id = $1", fixture.Event));

        // Excluding the genus as well leaves nothing; excluding only Ipsilon keeps everything else.
        await fixture.Seeder.ExcludeTaxonAsync(fixture.Project, genus);
        await counts.RefreshEventsAsync([fixture.Event], CancellationToken.None);
        Assert.Equal([0, 0], (await fixture.Database.RowsAsync("SELECT detections_count, occurrences_count FROM main_event WHERE id = $1", fixture.Event)).Single());

        await fixture.Database.ExecuteAsync("DELETE FROM main_project_default_filters_include_taxa; DELETE FROM main_project_default_filters_exclude_taxa");
        await fixture.Seeder.ExcludeTaxonAsync(fixture.Project, fixture.Ipsilon);
        await counts.RefreshEventsAsync([fixture.Event], CancellationToken.None);
        await counts.RefreshDeploymentsAsync([fixture.Deployment], CancellationToken.None);
        Assert.Equal([3, 2], (await fixture.Database.RowsAsync("SELECT detections_count, occurrences_count FROM main_event WHERE id = $1", fixture.Event)).Single());
        Assert.Equal([3, 2, 2], (await fixture.Database.RowsAsync("SELECT detections_count, occurrences_count, taxa_count FROM main_deployment WHERE id = $1", fixture.Deployment)).Single());
    }

    [Fact]
    public async Task An_empty_id_list_recounts_nothing()
    {
        await using var fixture = await WritePathFixture.CreateAsync();
        var before = await fixture.DumpAsync();
        var counts = fixture.Counts();

        await counts.RefreshEventsAsync([], CancellationToken.None);
        await counts.RefreshDeploymentsAsync([], CancellationToken.None);

        Assert.Equal(before, await fixture.DumpAsync());
    }

    [Fact]
    public async Task Without_a_project_every_detection_with_a_bbox_counts()
    {
        await using var fixture = await WritePathFixture.CreateAsync(scoreThreshold: 0.99);
        await fixture.Database.ExecuteAsync("UPDATE main_deployment SET project_id = NULL");
        var image = await fixture.ImageAsync("np/1.jpg", projectId: null);

        await WritePathFixture.SavedAsync(
            fixture.Writer(prepare: false),
            Response("main", [image], Detection(image, Box(1, 1, 2, 2)), Detection(image, Box(3, 3, 4, 4), classifications: [Classification("binary", "moth", [0.1, 0.9])])));

        Assert.Equal([2, null], (await fixture.Database.RowsAsync("SELECT detections_count, project_id FROM main_sourceimage WHERE id = $1", image)).Single());
    }
}
