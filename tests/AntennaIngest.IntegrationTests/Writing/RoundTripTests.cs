using AntennaIngest.Core.Contracts;
using AntennaIngest.Core.Processing;
using AntennaIngest.Testing;
using Xunit.Abstractions;
using static AntennaIngest.IntegrationTests.Writing.Results;

namespace AntennaIngest.IntegrationTests.Writing;

public sealed class RoundTripTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_result_with_ten_detections_and_twenty_classifications_takes_three_round_trips_and_a_replay_two()
    {
        await using var fixture = await WritePathFixture.CreateAsync();
        var pgbouncer = new Uri(fixture.Database.PgbouncerUrl);
        await using var counter = new PgRoundTripCounter(pgbouncer.Host, pgbouncer.Port);
        var writer = fixture.Writer(prepare: false, url: counter.Through(fixture.Database.PgbouncerUrl));
        var image = await fixture.ImageAsync("rt/1.jpg");
        var result = Result(image, 10);

        // The first connection of a data source loads the server's types once (one more round trip).
        await WritePathFixture.SavedAsync(writer, Result(await fixture.ImageAsync("rt/warm-up.jpg"), 1));

        counter.Reset();
        var summary = await WritePathFixture.SavedAsync(writer, result);
        var first = counter.RoundTrips;
        counter.Reset();
        await WritePathFixture.SavedAsync(writer, result);
        var replay = counter.RoundTrips;

        output.WriteLine($"round trips: first delivery {first}, replay {replay}");
        Assert.Equal((10, 20), (summary.DetectionsCreated, summary.ClassificationsCreated));
        Assert.InRange(first, 1, 3);
        Assert.InRange(replay, 1, 2);
    }

    [Fact]
    public async Task Sixty_four_concurrent_results_take_less_than_one_round_trip_each()
    {
        const int Count = 64;
        await using var fixture = await WritePathFixture.CreateAsync();
        var pgbouncer = new Uri(fixture.Database.PgbouncerUrl);
        await using var counter = new PgRoundTripCounter(pgbouncer.Host, pgbouncer.Port);
        var saver = fixture.Saver(prepare: false, connections: 3, groupMax: 64, url: counter.Through(fixture.Database.PgbouncerUrl));
        var images = new long[Count];
        for (var i = 0; i < Count; i++)
        {
            images[i] = await fixture.ImageAsync($"rt/{i}.jpg");
        }

        await saver.StartAsync(CancellationToken.None);
        try
        {
            await saver.SaveAsync(new SaveRequest(null, Result(await fixture.ImageAsync("rt/warm-up.jpg"), 1)), CancellationToken.None);
            counter.Reset();
            var outcomes = await Task.WhenAll(images.Select(i => saver.SaveAsync(new SaveRequest(null, Result(i, 3)), CancellationToken.None).AsTask()));
            var roundTrips = counter.RoundTrips;

            output.WriteLine($"{Count} results in {roundTrips} round trips ({(double)roundTrips / Count:F3} per result), {saver.Writers} writers");
            Assert.All(outcomes, o => Assert.True(o.Saved, o.FailureReason));
            Assert.InRange(roundTrips, 1, Count - 1);
            Assert.Equal(Count * 3L + 1, await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM main_detection"));
        }
        finally
        {
            await saver.StopAsync(CancellationToken.None);
        }
    }

    private static PipelineResultsResponse Result(long image, int detections) =>
        Response(
            "main",
            [image],
            [.. Enumerable.Range(0, detections).Select(i => Detection(image, Box(i, i, i + 20.5, i + 30.25), classifications:
            [
                Classification("binary", "moth", [0.9, 0.1], terminal: false),
                Classification("species", i % 2 == 0 ? "Actias luna" : "Agrotis ipsilon", [0.7, 0.1, 0.1, 0.1], logits: [2, 0, 0, 0]),
            ]))]);
}
