using AntennaIngest.Core.Planning;
using static AntennaIngest.UnitTests.Planning.PlannerWorld;

namespace AntennaIngest.UnitTests.Planning;

// Antenna's SourceImage.save() fills a NULL timestamp from the file name (the occurrence step
// saves images with detections, save_results then every found image); Detection.save() fills a
// NULL detection timestamp from its image, and get_or_create_detection re-saves every reused
// detection whose path is empty. Rows created before the image's save keep its old timestamp.
public sealed class TimestampBackfillTests
{
    private static readonly DateTime FromName = new(2022, 8, 10, 23, 15, 7, DateTimeKind.Unspecified);

    private static PlannerWorld Untimed()
    {
        var world = new PlannerWorld();
        world.Snapshot.Images[Image] = new ImageRow(Image, Deployment, Event, Project, "trap/20220810231507.jpg", HasTimestamp: false);
        world.Snapshot.Images[OtherImage] = new ImageRow(OtherImage, Deployment, Event, null, "trap/20220810231507.jpg", HasTimestamp: false);
        return world;
    }

    [Fact]
    public void An_untimed_image_gets_the_timestamp_of_its_name_and_its_marker_too_but_not_its_new_detections()
    {
        var world = Untimed();
        var draft = world.Plan(Result([Image, OtherImage], Detection(Image, Box(1))));
        var plan = draft.Complete(Allocate(draft));

        Assert.Equal([Image, OtherImage], plan.ImageIds);
        Assert.Equal([FromName, FromName], plan.ImageTimestamps);
        Assert.Equal([null], plan.Detections.Timestamps);
        Assert.Equal([FromName], plan.Markers.Timestamps);
        Assert.Equal(Zone, plan.WallClockZone);
    }

    [Fact]
    public void A_later_result_of_the_group_sees_the_timestamp_an_earlier_one_filled()
    {
        var world = Untimed();
        var draft = world.Plan(Result([Image], Detection(Image, Box(1))), Result([Image], Detection(Image, Box(2)), Detection(Image, Box(1))));
        var plan = draft.Complete(Allocate(draft));

        // Box 1 was created before the save and re-saved (empty path) after it by the second result.
        Assert.Equal([FromName, FromName], plan.Detections.Timestamps);
    }

    [Fact]
    public void Images_with_a_timestamp_or_without_a_path_or_with_an_unparsable_name_are_left()
    {
        var world = new PlannerWorld();
        world.Snapshot.Images[Image] = new ImageRow(Image, Deployment, Event, Project, "trap/20220810231507.jpg", HasTimestamp: true);
        world.Snapshot.Images[OtherImage] = new ImageRow(OtherImage, Deployment, Event, null, "trap/IMG_0001.jpg", HasTimestamp: false);
        var draft = world.Plan(Result([Image, OtherImage]));
        var plan = draft.Complete(Allocate(draft));

        Assert.Equal([null, null], plan.ImageTimestamps);
        Assert.Equal([null, null], plan.Markers.Timestamps);
    }

    [Fact]
    public void A_reused_detection_with_an_empty_path_is_re_saved_without_a_crop_url()
    {
        var world = Untimed();
        world.Snapshot.BboxMatches[(Image, "[1.0, 1.0, 11.0, 11.0]")] = new DetectionRow(77, Image, Detector, "", 700);
        world.Snapshot.BboxMatches[(Image, "[2.0, 2.0, 12.0, 12.0]")] = new DetectionRow(78, Image, Detector, "kept.jpg", 701);
        var draft = world.Plan(Result([Image], Detection(Image, Box(1)), Detection(Image, Box(2))), Result([Image], Detection(Image, Box(1), crop: "c.jpg")));
        var plan = draft.Complete(Allocate(draft));

        // The first result re-saves 77 ('' becomes NULL) before the image is saved; the second
        // finds NULL, stores its crop and the image's new timestamp.
        Assert.Equal([77L], plan.DetectionUpdates.Ids);
        Assert.Equal([true], plan.DetectionUpdates.Resaved);
        Assert.Equal<string?>(["c.jpg"], plan.DetectionUpdates.Paths.AsEnumerable());
        Assert.Equal([FromName], plan.DetectionUpdates.Timestamps);
    }

    [Fact]
    public void A_reused_marker_is_re_saved_after_the_image_save()
    {
        var world = Untimed();
        world.Snapshot.NullBboxDetections.Add(new DetectionRow(88, Image, Detector, null, null));
        var draft = world.Plan(Result([Image]));
        var plan = draft.Complete(Allocate(draft));

        Assert.Empty(plan.Markers.Ids);
        Assert.Equal([88L], plan.DetectionUpdates.Ids);
        Assert.Equal([true], plan.DetectionUpdates.Resaved);
        Assert.Equal<string?>([null], plan.DetectionUpdates.Paths.AsEnumerable());
        Assert.Equal([FromName], plan.DetectionUpdates.Timestamps);
    }
}
