using static AntennaIngest.IntegrationTests.Writing.Results;

namespace AntennaIngest.IntegrationTests.Writing;

// SourceImage.save() fills a NULL timestamp from the file name (a naive time in TIME_ZONE,
// America/New_York); Detection.save() fills a re-saved detection's NULL timestamp from the image.
public sealed class TimestampBackfillTests
{
    // 2022-08-10 23:15:07 in New York (EDT, UTC-4).
    private static readonly DateTime FromNameUtc = new(2022, 8, 11, 3, 15, 7, DateTimeKind.Utc);

    [Fact]
    public async Task An_untimed_image_takes_its_names_timestamp_in_the_same_transaction_as_antenna_orders_it()
    {
        await using var fixture = await WritePathFixture.CreateAsync();
        var image = await fixture.ImageAsync("trap/20220810231507.jpg");
        var empty = await fixture.ImageAsync("trap/20220810231507-snapshot.jpg");
        var unparsable = await fixture.ImageAsync("trap/IMG_0001.jpg");
        await fixture.Database.ExecuteAsync("UPDATE main_sourceimage SET \"timestamp\" = NULL");
        var reused = await fixture.Seeder.DetectionAsync(image, fixture.Detector, "[10, 20, 110, 220]", path: "");

        var result = Response(
            "main",
            [image, empty, unparsable],
            Detection(image, Box(10, 20, 110, 220)),
            Detection(image, Box(500, 500, 600, 600)));
        await WritePathFixture.SavedAsync(fixture.Writer(prepare: false), result);

        var images = await fixture.Database.RowsAsync("SELECT id, \"timestamp\" FROM main_sourceimage ORDER BY id");
        Assert.Equal([[image, FromNameUtc], [empty, FromNameUtc], [unparsable, null]], images);

        // The reused detection is re-saved ('' becomes NULL) before the image is saved, the new
        // one is created before it too: both keep the image's old (NULL) timestamp. The markers
        // come after the images' save.
        var detections = await fixture.Database.RowsAsync("SELECT source_image_id, bbox IS NULL, path, \"timestamp\" FROM main_detection ORDER BY id");
        Assert.Equal(
            [[image, false, null, null], [image, false, null, null], [empty, true, null, FromNameUtc], [unparsable, true, null, null]],
            detections);

        // A second result re-saves the path-less detection again, now with the image's timestamp.
        await WritePathFixture.SavedAsync(fixture.Writer(prepare: false), Response("main", [image], Detection(image, Box(10, 20, 110, 220), crop: "c/1.jpg")));
        var again = await fixture.Database.RowsAsync("SELECT path, \"timestamp\" FROM main_detection WHERE id = $1", reused);
        Assert.Equal([["c/1.jpg", FromNameUtc]], again);
    }
}
