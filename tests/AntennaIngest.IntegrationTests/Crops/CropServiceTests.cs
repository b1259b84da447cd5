using AntennaIngest.Core.Configuration;
using AntennaIngest.Core.Processing;
using AntennaIngest.Imaging.Service;
using AntennaIngest.IntegrationTests.Testing;
using AntennaIngest.Redis.Bookkeeping;
using AntennaIngest.Redis.Connections;
using AntennaIngest.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using SkiaSharp;

namespace AntennaIngest.IntegrationTests.Crops;

public sealed class CropServiceTests
{
    // A Redis database of its own: the crop set is one key shared by everything in a database.
    private const int RedisDatabase = 3;

    [Fact]
    public async Task Scheduled_crops_survive_a_restart_and_are_made_by_the_next_service()
    {
        await using var world = await CropWorld.CreateAsync();
        using var pattern = CropWorld.Pattern(50, 50);
        var images = new List<long>();
        var detections = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            images.Add(await world.ImageAsync($"img{i}.jpg", CropWorld.Encode(pattern, SKEncodedImageFormat.Jpeg)));
            detections.Add(await world.DetectionAsync(images[^1], [5, 5, 30, 30]));
        }

        var settings = TestRedis.Settings(RedisDatabase);
        await using var redis = await RedisConnector.ConnectAsync(settings);
        await redis.GetDatabase(RedisDatabase).KeyDeleteAsync([RedisKeys.CropsPending, RedisKeys.CropsClaimed]);

        // "Before the crash": create_detection_images was received and scheduled durably, nothing cropped yet.
        await new RedisCropScheduler(redis, RedisDatabase).ScheduleAsync(images, world.Job, CancellationToken.None);
        await redis.GetDatabase(RedisDatabase).SetAddAsync(RedisKeys.CropsPending, "garbage");

        // "After the restart": a fresh service works the set off.
        using var service = new CropService(new RedisCropQueue(redis, RedisDatabase), world.Processor(), NullLogger<CropService>.Instance);
        await service.StartAsync(CancellationToken.None);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await OutstandingAsync(redis) > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        await service.StopAsync(CancellationToken.None);
        Assert.Equal(0, await OutstandingAsync(redis));
        foreach (var detection in detections)
        {
            Assert.NotNull(await world.PathAsync(detection));
        }
    }

    /// <summary>Requests still waiting or claimed (a claim ends only after its paths are committed).</summary>
    private static async Task<long> OutstandingAsync(StackExchange.Redis.ConnectionMultiplexer redis) =>
        await redis.GetDatabase(RedisDatabase).SetLengthAsync(RedisKeys.CropsPending)
        + await redis.GetDatabase(RedisDatabase).SortedSetLengthAsync(RedisKeys.CropsClaimed);
}
