using static AntennaIngest.IntegrationTests.Writing.Results;

namespace AntennaIngest.IntegrationTests.Writing;

public sealed class DeterminationTests
{
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task The_newest_human_identification_wins_with_score_one_unless_it_names_no_taxon(bool prepare, bool newestHasNoTaxon)
    {
        await using var fixture = await WritePathFixture.CreateAsync();
        var image = await fixture.ImageAsync("a/1.jpg");
        var occurrence = await fixture.Seeder.OccurrenceAsync(fixture.Event, fixture.Deployment, fixture.Project, fixture.Luna, 0.6);
        var detection = await fixture.Seeder.DetectionAsync(image, fixture.Detector, "[1.0, 2.0, 3.0, 4.0]", occurrence, path: "c.jpg");
        await fixture.Seeder.ClassificationAsync(detection, fixture.Luna, fixture.Species, 0.6);
        // The newest non-withdrawn identification counts (a newer withdrawn one does not); when
        // it names no taxon, Antenna stops there and leaves the determination as it is.
        await fixture.Seeder.IdentificationAsync(occurrence, fixture.Luna, createdAt: new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await fixture.Seeder.IdentificationAsync(occurrence, fixture.Moth, createdAt: new DateTimeOffset(2024, 2, 1, 0, 0, 0, TimeSpan.Zero));
        await fixture.Seeder.IdentificationAsync(occurrence, fixture.Ipsilon, withdrawn: true, createdAt: new DateTimeOffset(2024, 3, 1, 0, 0, 0, TimeSpan.Zero));
        if (newestHasNoTaxon)
        {
            await fixture.Seeder.IdentificationAsync(occurrence, null, createdAt: new DateTimeOffset(2024, 4, 1, 0, 0, 0, TimeSpan.Zero));
        }

        var summary = await WritePathFixture.SavedAsync(
            fixture.Writer(prepare),
            Response("main", [image], Detection(image, Box(1, 2, 3, 4), classifications: [Classification("species", "Agrotis ipsilon", [0.05, 0.95, 0, 0])])));

        var row = (await fixture.Database.RowsAsync("SELECT determination_id, determination_score FROM main_occurrence WHERE id = $1", occurrence)).Single();
        Assert.Equal(newestHasNoTaxon ? [fixture.Luna, 0.6] : [fixture.Moth, 1.0], row);
        Assert.Equal(newestHasNoTaxon ? 0 : 1, summary.DeterminationsUpdated);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_score_stays_when_a_better_classification_of_the_same_taxon_arrives(bool prepare)
    {
        // Antenna moves the score only together with the taxon.
        await using var fixture = await WritePathFixture.CreateAsync();
        var image = await fixture.ImageAsync("a/1.jpg");
        var occurrence = await fixture.Seeder.OccurrenceAsync(fixture.Event, fixture.Deployment, fixture.Project, fixture.Luna, 0.6);
        var detection = await fixture.Seeder.DetectionAsync(image, fixture.Detector, "[1.0, 2.0, 3.0, 4.0]", occurrence, path: "c.jpg");
        await fixture.Seeder.ClassificationAsync(detection, fixture.Luna, fixture.Species, 0.6);

        await WritePathFixture.SavedAsync(
            fixture.Writer(prepare),
            Response("main", [image], Detection(image, Box(1, 2, 3, 4), classifications: [Classification("species", "Actias luna", [0.75, 0.25, 0, 0])])));

        var row = (await fixture.Database.RowsAsync("SELECT determination_id, determination_score FROM main_occurrence WHERE id = $1", occurrence)).Single();
        Assert.Equal([fixture.Luna, 0.6], row);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_existing_duplicate_classification_gets_its_null_fields_filled_without_touching_updated_at(bool prepare)
    {
        await using var fixture = await WritePathFixture.CreateAsync();
        var image = await fixture.ImageAsync("a/1.jpg");
        var occurrence = await fixture.Seeder.OccurrenceAsync(fixture.Event, fixture.Deployment, fixture.Project, fixture.Luna, 0.75);
        var detection = await fixture.Seeder.DetectionAsync(image, fixture.Detector, "[1.0, 2.0, 3.0, 4.0]", occurrence, path: "c.jpg");
        var stored = await fixture.Seeder.ClassificationAsync(detection, fixture.Luna, fixture.Species, 0.75);
        var before = await fixture.Database.ScalarAsync<DateTime>("SELECT updated_at FROM main_classification WHERE id = $1", stored);

        var summary = await WritePathFixture.SavedAsync(
            fixture.Writer(prepare),
            Response("main", [image], Detection(image, Box(1, 2, 3, 4), classifications: [Classification("species", "Actias luna", [0.75, 0.25, 0, 0], logits: [1, 0, 0, 0])])));

        var row = (await fixture.Database.RowsAsync("SELECT scores, logits, category_map_id, updated_at FROM main_classification WHERE id = $1", stored)).Single();
        Assert.Equal([new[] { 0.75, 0.25, 0, 0 }, new[] { 1.0, 0, 0, 0 }, fixture.SpeciesMap, before], row);
        Assert.Equal((0, 1), (summary.ClassificationsCreated, summary.ClassificationsUpdated));
        Assert.Equal(1L, await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM main_classification"));
    }
}
