using AntennaIngest.Core.Planning;
using static AntennaIngest.UnitTests.Planning.PlannerWorld;

namespace AntennaIngest.UnitTests.Planning;

// create_detections looks every response up in the database before any of the result's new
// detections is saved (bulk_create at the end), and needs an algorithm only to create one.
public sealed class AntennaLookupTests
{
    private const string Box1 = "[1.0, 1.0, 11.0, 11.0]";

    [Fact]
    public void Identical_boxes_in_one_result_become_two_detections_with_their_own_classifications()
    {
        var world = new PlannerWorld();
        var draft = world.Plan(Result(
            [Image],
            Detection(Image, Box(1), classifications: [Classification("species", "Actias luna", [0.6, 0.4])]),
            Detection(Image, Box(1), classifications: [Classification("binary", "moth", [0.9, 0.1])])));
        var plan = draft.Complete(Allocate(draft));

        Assert.Equal([2000L, 2001], plan.Detections.Ids);
        Assert.Equal([4000L, 4001], plan.Occurrences.Ids);
        Assert.Equal([2000L, 2001], plan.Classifications.DetectionIds);
        Assert.Equal([Luna, Moth], plan.Occurrences.DeterminationIds.Select(t => t!.Value));
        var summary = draft.Outcomes(new HashSet<long>())[0].Summary!;
        Assert.Equal((2, 0, 2), (summary.DetectionsCreated, summary.DetectionsUpdated, summary.OccurrencesCreated));
    }

    [Fact]
    public void A_replay_of_identical_boxes_reuses_the_first_stored_detection_for_both_and_writes_nothing()
    {
        var world = new PlannerWorld();
        world.Snapshot.BboxMatches[(Image, Box1)] = new DetectionRow(77, Image, Detector, "a.jpg", 700);
        world.Snapshot.Occurrences[700] = new OccurrenceRow(700, Luna, 0.6);
        world.Snapshot.Classifications.Add(new ClassificationRow(60, 77, 700, Luna, Species, 0.6, true, new DateTime(2024, 1, 1), false, false, false));

        var classification = Classification("species", "Actias luna", [0.6, 0.4]);
        var draft = world.Plan(Result([Image], Detection(Image, Box(1), classifications: [classification]), Detection(Image, Box(1), classifications: [classification])));

        Assert.False(draft.NeedsAllocation);
        var plan = draft.Complete(WriteAllocation.None);
        Assert.Empty(plan.DetectionUpdates.Ids);
        Assert.Empty(plan.Determinations.Ids);
        var summary = draft.Outcomes(new HashSet<long>())[0].Summary!;
        Assert.Equal((0, 2, 0, 2), (summary.DetectionsCreated, summary.DetectionsUpdated, summary.ClassificationsCreated, summary.ClassificationsUpdated));
    }

    [Fact]
    public void A_later_result_of_the_group_reuses_the_first_of_the_identical_boxes()
    {
        var world = new PlannerWorld();
        var first = Result([Image], Detection(Image, Box(1)), Detection(Image, Box(1)));
        var draft = world.Plan(first, Result([Image], Detection(Image, Box(1), classifications: [Classification("species", "Actias luna", [0.6, 0.4])])));
        var plan = draft.Complete(Allocate(draft));

        Assert.Equal([2000L, 2001], plan.Detections.Ids);
        Assert.Equal([2000L], plan.Classifications.DetectionIds);
    }

    [Fact]
    public void A_reused_box_and_a_missing_image_need_no_registered_algorithm()
    {
        var world = new PlannerWorld();
        world.Snapshot.BboxMatches[(Image, Box1)] = new DetectionRow(77, Image, Detector, "a.jpg", 700);
        world.Snapshot.Occurrences[700] = new OccurrenceRow(700, Luna, 0.6);

        var draft = world.Plan(Result(
            [Image],
            Detection(Image, Box(1), detector: "unregistered"),
            Detection(555, Box(2), detector: "unregistered", classifications: [Classification("unregistered", "x", [1.0])])));

        Assert.Null(draft.FailureOf(0));
        Assert.Equal(0, draft.NewDetectionCount);
    }

    [Fact]
    public void A_new_box_with_an_unregistered_algorithm_fails_with_antennas_message()
    {
        var world = new PlannerWorld();
        var draft = world.Plan(Result([Image], Detection(Image, Box(1)), Detection(Image, Box(2), detector: "ghost")));

        Assert.Equal(
            "Detection algorithm ghost is not a known algorithm. The processing service must declare it in the /info endpoint. Known algorithms: ['detector', 'species', 'binary', 'nomap']",
            draft.FailureOf(0));
    }
}
