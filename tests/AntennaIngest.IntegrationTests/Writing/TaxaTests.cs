using AntennaIngest.Core.Processing;
using static AntennaIngest.IntegrationTests.Writing.Results;

namespace AntennaIngest.IntegrationTests.Writing;

public sealed class TaxaTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_new_label_registers_a_taxon_with_the_rank_of_its_category_map_entry(bool prepare)
    {
        await using var fixture = await WritePathFixture.CreateAsync();
        var image = await fixture.ImageAsync("a/1.jpg");
        var result = Response(
            "main",
            [image],
            Detection(image, Box(1, 2, 3, 4), classifications: [Classification("species", "Catocala", [0.1, 0.1, 0.7, 0.1])]),
            Detection(image, Box(5, 6, 7, 8), classifications: [Classification("species", "Noctua pronuba", [0.1, 0.1, 0.1, 0.7])]));

        var summary = await WritePathFixture.SavedAsync(fixture.Writer(prepare), result);

        var taxa = await fixture.Database.RowsAsync(
            """
            SELECT name, rank, display_name, active, parents_json::text, search_names, author, notes, parent_id, "ordering"
            FROM main_taxon WHERE name IN ('Catocala', 'Noctua pronuba') ORDER BY name
            """);
        Assert.Equal(["Catocala", "GENUS", "Catocala sp.", true, "[]", Array.Empty<string>(), "", "", null, null], taxa[0]);
        Assert.Equal(["Noctua pronuba", "SPECIES", "Noctua pronuba", true, "[]", Array.Empty<string>(), "", "", null, null], taxa[1]);
        Assert.Equal(2, summary.TaxaCreated);
        Assert.Contains(new JobLogLine(JobLogLevel.Info, "Registered new taxon Catocala (GENUS)"), summary.LogLines);
        var listed = await fixture.Database.RowsAsync(
            "SELECT t.name FROM main_taxalist_taxa lt JOIN main_taxalist l ON l.id = lt.taxalist_id JOIN main_taxon t ON t.id = lt.taxon_id WHERE l.name = 'Taxa returned by Species classifier' ORDER BY t.name");
        Assert.Equal(["Catocala", "Noctua pronuba"], listed.Select(r => (string)r[0]!));
        var determinations = await fixture.Database.RowsAsync("SELECT t.name FROM main_occurrence o JOIN main_taxon t ON t.id = o.determination_id ORDER BY o.id");
        Assert.Equal(["Catocala", "Noctua pronuba"], determinations.Select(r => (string)r[0]!));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Labels_match_active_taxa_by_name_or_search_names_ordered_by_ordering_then_name(bool prepare)
    {
        await using var fixture = await WritePathFixture.CreateAsync();
        var image = await fixture.ImageAsync("a/1.jpg");
        // "Luna moth" is a search name of two taxa; the lower "ordering" wins over the name.
        var preferred = await fixture.Seeder.TaxonAsync("Zeta luna", ordering: 1, searchNames: ["Luna moth"]);
        await fixture.Seeder.TaxonAsync("Alpha luna", ordering: 2, searchNames: ["Luna moth"]);
        await fixture.Seeder.TaxonAsync("Beta luna", ordering: null, searchNames: ["Luna moth"]);
        await fixture.Seeder.TaxonAsync("Inactive luna", active: false, ordering: 0, searchNames: ["Luna moth"]);
        var result = Response(
            "main",
            [image],
            Detection(image, Box(1, 2, 3, 4), classifications: [Classification("species", "Luna moth", [0.9, 0.1, 0, 0])]),
            Detection(image, Box(5, 6, 7, 8), classifications: [Classification("species", "Actias luna", [0.9, 0.1, 0, 0])]));

        var summary = await WritePathFixture.SavedAsync(fixture.Writer(prepare), result);

        var taxa = await fixture.Database.RowsAsync("SELECT taxon_id FROM main_classification ORDER BY id");
        Assert.Equal([preferred, fixture.Luna], taxa.Select(r => (long)r[0]!));
        Assert.Equal(0, summary.TaxaCreated);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_inactive_taxon_with_the_label_as_name_fails_the_result_and_writes_nothing(bool prepare)
    {
        await using var fixture = await WritePathFixture.CreateAsync();
        var image = await fixture.ImageAsync("a/1.jpg");
        await fixture.Seeder.TaxonAsync("Retired species", active: false);
        var before = await fixture.DumpAsync();
        var result = Response(
            "main",
            [image],
            Detection(image, Box(1, 2, 3, 4), classifications: [Classification("species", "Actias luna", [0.9, 0.1, 0, 0])]),
            Detection(image, Box(5, 6, 7, 8), classifications: [Classification("species", "Retired species", [0.1, 0.9, 0, 0])]));

        var outcome = await WritePathFixture.SaveAsync(fixture.Writer(prepare), result);

        Assert.False(outcome.Saved);
        Assert.Contains("inactive taxon", outcome.FailureReason, StringComparison.Ordinal);
        Assert.Equal(before, await fixture.DumpAsync());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_display_name_taken_by_another_taxon_fails_the_result(bool prepare)
    {
        await using var fixture = await WritePathFixture.CreateAsync();
        var image = await fixture.ImageAsync("a/1.jpg");
        // "Catocala" would be a GENUS (its map entry says so) displayed "Catocala sp.", which is taken.
        await fixture.Seeder.TaxonAsync("Catocala sp.", rank: "SPECIES");
        var before = await fixture.DumpAsync();

        var outcome = await WritePathFixture.SaveAsync(
            fixture.Writer(prepare),
            Response("main", [image], Detection(image, Box(1, 2, 3, 4), classifications: [Classification("species", "Catocala", [0.1, 0.1, 0.7, 0.1])])));

        Assert.Equal("Cannot register taxon \"Catocala\": display name \"Catocala sp.\" is already used by another taxon", outcome.FailureReason);
        Assert.Equal(before, await fixture.DumpAsync());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_algorithm_without_category_map_gets_a_placeholder_map(bool prepare)
    {
        await using var fixture = await WritePathFixture.CreateAsync();
        var image = await fixture.ImageAsync("a/1.jpg");
        var plain = await fixture.Seeder.AlgorithmAsync("Plain classifier", "plain", "classification");
        var unlabelled = await fixture.Seeder.AlgorithmAsync("Unlabelled classifier", "unlabelled", "classification");
        await fixture.Seeder.PipelineAsync("maps", fixture.Detector, plain, unlabelled);
        var algorithmBefore = await fixture.Database.ScalarAsync<DateTime>("SELECT updated_at FROM ml_algorithm WHERE id = $1", plain);
        var result = Response(
            "maps",
            [image],
            Detection(image, Box(1, 2, 3, 4), classifications:
            [
                Classification("plain", "Actias luna", [0.8, 0.2], labels: ["Actias luna", "Other"], timestamp: Aware),
                Classification("unlabelled", "2", [0.1, 0.2, 0.7]),
            ]));

        var summary = await WritePathFixture.SavedAsync(fixture.Writer(prepare), result);

        var maps = await fixture.Database.RowsAsync(
            """
            SELECT a.key, m.data::text, m.labels, m.version, m.description, m.labels_hash, m.uri, a.updated_at > $1
            FROM ml_algorithm a JOIN ml_algorithmcategorymap m ON m.id = a.category_map_id
            WHERE a.key IN ('plain', 'unlabelled') ORDER BY a.key
            """,
            algorithmBefore);
        Assert.Equal("plain", maps[0][0]);
        Assert.Equal("""[{"index": 0, "label": "Actias luna"}, {"index": 1, "label": "Other"}]""", maps[0][1]);
        Assert.Equal(new[] { "Actias luna", "Other" }, maps[0][2]);
        Assert.Equal("2024-06-01T12:30:00+00:00", maps[0][3]);
        Assert.Equal("Placeholder category map automatically created from classification data", maps[0][4]);
        Assert.Equal(Core.Planning.LabelsHash.Compute(["Actias luna", "Other"]), maps[0][5]);
        Assert.Equal([null, true], maps[0][6..]);
        Assert.Equal(new[] { "0", "1", "2" }, maps[1][2]);
        Assert.Equal("2024-06-01T12:00:00", maps[1][3]);

        // The classifications point at the new maps; the new taxon "2" has no rank to take.
        var classifications = await fixture.Database.RowsAsync(
            "SELECT c.category_map_id = a.category_map_id, t.name, t.rank FROM main_classification c JOIN ml_algorithm a ON a.id = c.algorithm_id JOIN main_taxon t ON t.id = c.taxon_id ORDER BY c.id");
        Assert.Equal([true, "Actias luna", "SPECIES"], classifications[0]);
        Assert.Equal([true, "2", "UNKNOWN"], classifications[1]);
        Assert.Equal(2, summary.LogLines.Count(l => l.Level == JobLogLevel.Warning));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Project_lists_are_ignored_and_the_oldest_global_list_is_used(bool prepare)
    {
        await using var fixture = await WritePathFixture.CreateAsync();
        var image = await fixture.ImageAsync("a/1.jpg");
        var name = "Taxa returned by Species classifier";
        var projectList = await fixture.Seeder.TaxaListAsync(name, fixture.Project);
        var newer = await fixture.Seeder.TaxaListAsync(name, createdAt: new DateTimeOffset(2024, 2, 1, 0, 0, 0, TimeSpan.Zero));
        var oldest = await fixture.Seeder.TaxaListAsync(name, createdAt: new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero));

        var summary = await WritePathFixture.SavedAsync(
            fixture.Writer(prepare),
            Response("main", [image], Detection(image, Box(1, 2, 3, 4), classifications: [Classification("species", "Actias luna", [0.9, 0.1, 0, 0])])));

        var pairs = await fixture.Database.RowsAsync("SELECT taxalist_id, taxon_id FROM main_taxalist_taxa");
        Assert.Equal([oldest, fixture.Luna], Assert.Single(pairs));
        Assert.DoesNotContain(summary.LogLines, l => l.Message.StartsWith("Created new taxa list", StringComparison.Ordinal));
        Assert.NotEqual(projectList, newer);
    }
}
