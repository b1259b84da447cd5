using AntennaIngest.Core.Configuration;
using AntennaIngest.Core.Planning;
using AntennaIngest.Core.Processing;
using static AntennaIngest.UnitTests.Planning.PlannerWorld;

namespace AntennaIngest.UnitTests.Planning;

// The job-log lines Antenna's save_results writes through job.logger, branch by branch, in order
// (ami/ml/models/pipeline.py at 731cc2a2).
public sealed class SaveLogLinesTests
{
    private const string Registered = "Algorithms registered for pipeline: \ndetector, species, binary, nomap";
    private const string Saved = "Saved results from pipeline #10 \"Main pipeline\" (main) v2 in 1.23 seconds";

    private static (SaveSummary Summary, List<string> Lines) Save(PlannerWorld world, params Core.Contracts.PipelineResultsResponse[] results)
    {
        var draft = world.Plan(results);
        draft.Complete(Allocate(draft));
        var summary = draft.Outcomes(new HashSet<long>(), TimeSpan.FromSeconds(1.234), JobLogStyle.Antenna)[^1].Summary!;
        return (summary, [.. summary.LogLines.Select(l => (l.Level == JobLogLevel.Info ? "" : l.Level + ": ") + l.Message)]);
    }

    private static string Crops(SaveSummary summary) => $"Creating detection images in sub-task {summary.CropRequestId}";

    [Fact]
    public void Reused_detections_come_before_new_ones_and_each_image_gets_its_occurrence_lines()
    {
        var world = new PlannerWorld();
        world.Snapshot.BboxMatches[(Image, "[1.0, 1.0, 11.0, 11.0]")] = new DetectionRow(77, Image, Detector, "p.jpg", 700);
        world.Snapshot.Occurrences[700] = new OccurrenceRow(700, Moth, 0.5);

        var (summary, lines) = Save(world, Result(
            [Image, OtherImage],
            Detection(OtherImage, Box(3)),
            Detection(Image, Box(2), classifications: [Classification("species", "Actias luna", [0.9, 0.1])]),
            Detection(Image, Box(1), classifications: [Classification("species", "Actias luna", [0.7, 0.3])])));

        Assert.NotEqual(Guid.Empty, summary.CropRequestId);
        Assert.Equal(
        [
            "Saving results from pipeline main",
            Registered,
            "Created 2 new detections, updated 1 existing detections, for 2 source image(s)",
            "Created 2 new classifications, updated 0 existing classifications for 3 detections.",
            "Determining occurrences for 2 detections for source image 100",
            "Created 1 new occurrences",
            "Updated 1 detections with occurrences",
            "Updated the determination of 2 occurrences, left 0 unchanged",
            "Determining occurrences for 1 detections for source image 101",
            "Created 1 new occurrences",
            "Updated 1 detections with occurrences",
            "Updated the determination of 0 occurrences, left 1 unchanged",
            Crops(summary),
            "Created 0 new detections, updated 0 existing detections, for 0 source image(s)",
            Saved,
        ], lines);
    }

    [Fact]
    public void Missing_images_are_reported_per_detection_and_per_null_marker_response()
    {
        var world = new PlannerWorld();
        world.Snapshot.NullBboxDetections.Add(new DetectionRow(88, OtherImage, Detector, null, null));

        var (summary, lines) = Save(world, Result([Image, 998, OtherImage, 999], Detection(999, Box(1)), Detection(999, Box(2))));

        Assert.Equal(
        [
            "Saving results from pipeline main",
            Registered,
            "Error: Source image 999 not found, skipping Detection creation",
            "Error: Source image 999 not found, skipping Detection creation",
            "Created 0 new detections, updated 0 existing detections, for 1 source image(s)",
            "Created 0 new classifications, updated 0 existing classifications for 0 detections.",
            Crops(summary),
            "Error: Source image 998 not found, skipping Detection creation",
            "Created 1 new detections, updated 1 existing detections, for 3 source image(s)",
            Saved,
        ], lines);
    }

    [Fact]
    public void A_placeholder_category_map_a_new_taxa_list_and_a_new_taxon_are_announced_at_their_first_classification()
    {
        var world = new PlannerWorld();
        var (summary, lines) = Save(world, Result(
            [Image],
            Detection(Image, Box(1), classifications: [Classification("nomap", "New bug", [0.2, 0.8], labels: ["a", "b'c"])]),
            Detection(Image, Box(2), classifications: [Classification("nomap", "New bug", [0.3, 0.7], labels: ["a", "b'c"])])));

        Assert.Equal(
        [
            "Saving results from pipeline main",
            Registered,
            "Created 2 new detections, updated 0 existing detections, for 1 source image(s)",
            "Warning: Classification algorithm #4 \"No map\" (nomap) v1 has no category map! Creating one from data in the first classification if possible.",
            "Creating placeholder category map with data: [{'label': 'a', 'index': 0}, {'label': \"b'c\", 'index': 1}]",
            "Created new taxa list #1001 Taxa returned by No map",
            "Registered new taxon New bug (UNKNOWN)",
            "Created 2 new classifications, updated 0 existing classifications for 2 detections.",
            "Determining occurrences for 2 detections for source image 100",
            "Created 2 new occurrences",
            "Updated 2 detections with occurrences",
            "Updated the determination of 2 occurrences, left 0 unchanged",
            Crops(summary),
            "Created 0 new detections, updated 0 existing detections, for 0 source image(s)",
            Saved,
        ], lines);
    }

    [Fact]
    public void A_duplicate_classification_with_null_fields_gets_antennas_update_lines()
    {
        var world = new PlannerWorld();
        world.Snapshot.BboxMatches[(Image, "[1.0, 1.0, 11.0, 11.0]")] = new DetectionRow(77, Image, Detector, "p.jpg", 700);
        world.Snapshot.Occurrences[700] = new OccurrenceRow(700, Luna, 0.7);
        world.Snapshot.Classifications.Add(new ClassificationRow(61, 77, 700, Luna, Species, 0.7, true, new DateTime(2024, 2, 1), true, true, false));

        var (_, lines) = Save(world, Result([Image], Detection(Image, Box(1), classifications: [Classification("species", "Actias luna", [0.7, 0.3])])));

        Assert.Equal(
        [
            "Updating fields ['logits', 'scores'] for existing classification #61 to Taxon #500 (0.70) by Algorithm #2 (Terminal)",
            "Updated existing classification #61 to Taxon #500 (0.70) by Algorithm #2 (Terminal)",
            "Created 0 new classifications, updated 1 existing classifications for 1 detections.",
            "Determining occurrences for 1 detections for source image 100",
            "Created 0 new occurrences",
            "Updated 0 detections with occurrences",
            "Updated the determination of 0 occurrences, left 1 unchanged",
        ], lines[3..10]);
    }

    [Fact]
    public void Summary_style_keeps_the_compact_lines()
    {
        var world = new PlannerWorld();
        var draft = world.Plan(Result([Image], Detection(Image, Box(1))));
        draft.Complete(Allocate(draft));

        var summary = draft.Outcomes(new HashSet<long>(), TimeSpan.FromSeconds(1), JobLogStyle.Summary)[0].Summary!;

        Assert.Equal(
        [
            "Created 1 new detections, updated 0 existing detections, for 1 source image(s)",
            "Created 1 new occurrences",
            "Updated the determination of 0 occurrences, left 1 unchanged",
        ], summary.LogLines.Select(l => l.Message));
    }
}
