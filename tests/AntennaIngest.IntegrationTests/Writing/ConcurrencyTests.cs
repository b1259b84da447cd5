using System.Globalization;
using AntennaIngest.Core.Contracts;
using AntennaIngest.Core.Processing;
using static AntennaIngest.IntegrationTests.Writing.Results;

namespace AntennaIngest.IntegrationTests.Writing;

public sealed class ConcurrencyTests
{
    private const int Rounds = 12;

    [Fact]
    public async Task Two_savers_racing_on_the_same_results_never_duplicate_rows()
    {
        await using var fixture = await WritePathFixture.CreateAsync();
        // Two "processes": one through pgbouncer without prepared statements, one direct with them.
        var left = fixture.Saver(prepare: false, connections: 3);
        var right = fixture.Saver(prepare: true, connections: 3);
        await left.StartAsync(CancellationToken.None);
        await right.StartAsync(CancellationToken.None);
        try
        {
            for (var round = 0; round < Rounds; round++)
            {
                var result = await RoundAsync(fixture, round);

                // Both deliveries of the same result, twice each, at the same time.
                var outcomes = await Task.WhenAll(
                    left.SaveAsync(new SaveRequest(null, result), CancellationToken.None).AsTask(),
                    right.SaveAsync(new SaveRequest(null, result), CancellationToken.None).AsTask(),
                    right.SaveAsync(new SaveRequest(null, result), CancellationToken.None).AsTask(),
                    left.SaveAsync(new SaveRequest(null, result), CancellationToken.None).AsTask());

                Assert.All(outcomes, o => Assert.True(o.Saved, o.FailureReason));
                Assert.Equal(4, outcomes.Sum(o => o.Summary!.DetectionsCreated));
                Assert.Equal(1, outcomes.Sum(o => o.Summary!.NullMarkersCreated));
                Assert.Equal(1, outcomes.Sum(o => o.Summary!.TaxaCreated));
            }
        }
        finally
        {
            await left.StopAsync(CancellationToken.None);
            await right.StopAsync(CancellationToken.None);
        }

        // Per round: 4 detections + 1 marker, 6 classifications, 4 occurrences, one new taxon,
        // one taxa list and one placeholder map for the round's new classifier.
        Assert.Equal([Rounds * 5L, Rounds * 6L, Rounds * 4L], (await fixture.Database.RowsAsync(
            "SELECT (SELECT count(*) FROM main_detection), (SELECT count(*) FROM main_classification), (SELECT count(*) FROM main_occurrence)")).Single());
        Assert.Equal(0L, await fixture.Database.ScalarAsync<long>(
            "SELECT count(*) FROM (SELECT source_image_id, bbox::text FROM main_detection GROUP BY 1, 2 HAVING count(*) > 1) d"));
        Assert.Equal(Rounds, await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM main_taxon WHERE name LIKE 'Race taxon %'"));
        Assert.Equal(Rounds, await fixture.Database.ScalarAsync<long>("SELECT count(DISTINCT name) FROM main_taxalist WHERE name LIKE 'Taxa returned by Racer %'"));
        Assert.Equal(Rounds, await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM main_taxalist WHERE name LIKE 'Taxa returned by Racer %'"));
        Assert.Equal(Rounds + 1L, await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM main_taxalist"));
        Assert.Equal(Rounds, await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM ml_algorithmcategorymap WHERE description LIKE 'Placeholder%'"));
        Assert.Equal(0L, await fixture.Database.ScalarAsync<long>(
            "SELECT count(*) FROM ml_algorithmcategorymap m WHERE NOT EXISTS (SELECT 1 FROM ml_algorithm a WHERE a.category_map_id = m.id)"));
        Assert.Equal(0L, await fixture.Database.ScalarAsync<long>(
            "SELECT count(*) FROM (SELECT detection_id, taxon_id, algorithm_id, score FROM main_classification GROUP BY 1, 2, 3, 4 HAVING count(*) > 1) c"));
    }

    [Fact]
    public async Task Rows_created_by_name_are_created_once_when_different_images_need_them_at_the_same_time()
    {
        await using var fixture = await WritePathFixture.CreateAsync();
        // Group size 1 and several writers per saver: many transactions need the same names at once.
        var left = fixture.Saver(prepare: false, connections: 5, groupMax: 1);
        var right = fixture.Saver(prepare: true, connections: 5, groupMax: 1);
        await left.StartAsync(CancellationToken.None);
        await right.StartAsync(CancellationToken.None);
        try
        {
            for (var round = 0; round < Rounds; round++)
            {
                var n = round.ToString(CultureInfo.InvariantCulture);
                var racer = await fixture.Seeder.AlgorithmAsync($"Racer {n}", $"racer-{n}", "classification");
                await fixture.Seeder.PipelineAsync($"race-{n}", fixture.Detector, racer);
                var results = new List<PipelineResultsResponse>();
                for (var i = 0; i < 8; i++)
                {
                    var image = await fixture.ImageAsync($"shared/{n}/{i}.jpg");
                    results.Add(Response($"race-{n}", [image], Detection(image, Box(1, 1, 2, 2), classifications: [Classification($"racer-{n}", $"Shared taxon {n}", [0.7, 0.3])])));
                }

                var outcomes = await Task.WhenAll(results.Select((r, i) => (i % 2 == 0 ? left : right).SaveAsync(new SaveRequest(null, r), CancellationToken.None).AsTask()));

                Assert.All(outcomes, o => Assert.True(o.Saved, o.FailureReason));
                Assert.Equal(1, outcomes.Sum(o => o.Summary!.TaxaCreated));
            }
        }
        finally
        {
            await left.StopAsync(CancellationToken.None);
            await right.StopAsync(CancellationToken.None);
        }

        Assert.Equal(Rounds, await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM main_taxon WHERE name LIKE 'Shared taxon %'"));
        Assert.Equal(Rounds, await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM main_taxalist"));
        Assert.Equal(Rounds, await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM main_taxalist_taxa"));
        Assert.Equal(Rounds, await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM ml_algorithmcategorymap WHERE description LIKE 'Placeholder%'"));
        Assert.Equal(0L, await fixture.Database.ScalarAsync<long>(
            "SELECT count(*) FROM main_classification c JOIN ml_algorithm a ON a.id = c.algorithm_id WHERE c.category_map_id IS DISTINCT FROM a.category_map_id"));
    }

    // A round: two fresh images (one with 4 detections, one without), a new classifier without
    // category map or taxa list, and a label that is a new taxon.
    private static async Task<PipelineResultsResponse> RoundAsync(WritePathFixture fixture, int round)
    {
        var n = round.ToString(CultureInfo.InvariantCulture);
        var image = await fixture.ImageAsync($"race/{n}.jpg");
        var empty = await fixture.ImageAsync($"race/{n}-empty.jpg");
        var racer = await fixture.Seeder.AlgorithmAsync($"Racer {n}", $"racer-{n}", "classification");
        await fixture.Seeder.PipelineAsync($"race-{n}", fixture.Detector, racer, fixture.Species);
        var detections = new DetectionResponse[4];
        for (var i = 0; i < detections.Length; i++)
        {
            detections[i] = Detection(image, Box(i, i, i + 10, i + 10), classifications: i < 2
                ? [Classification($"racer-{n}", $"Race taxon {n}", [0.6, 0.4]), Classification("species", "Actias luna", [0.9, 0.1, 0, 0])]
                : [Classification("species", "Agrotis ipsilon", [0.1, 0.9, 0, 0])]);
        }

        return Response($"race-{n}", [image, empty], detections);
    }
}
