using AntennaIngest.Core.Planning;
using AntennaIngest.Core.Processing;
using static AntennaIngest.UnitTests.Planning.PlannerWorld;

namespace AntennaIngest.UnitTests.Planning;

public sealed class WritePlannerTests
{
    [Fact]
    public void New_detections_get_occurrences_classifications_and_a_determination()
    {
        var world = new PlannerWorld();
        var draft = world.Plan(Result(
            [Image],
            Detection(Image, Box(1), crop: "c/1.jpg", classifications:
            [
                Classification("binary", "moth", [0.95, 0.05], terminal: false),
                Classification("species", "Actias luna", [0.6, 0.4], logits: [1.5, -1.5], timestamp: Aware),
            ]),
            Detection(Image, Box(2))));

        Assert.Equal((2, 2, 2), (draft.NewDetectionCount, draft.NewClassificationCount, draft.NewOccurrenceCount));
        Assert.Empty(draft.NewTaxonLabels);
        Assert.Empty(draft.NameLockKeys);
        var plan = draft.Complete(Allocate(draft));

        Assert.Equal([2000L, 2001], plan.Detections.Ids);
        Assert.Equal<string?>(["[1.0, 1.0, 11.0, 11.0]", "[2.0, 2.0, 12.0, 12.0]"], plan.Detections.Bboxes.AsEnumerable());
        Assert.Equal<string?>(["c/1.jpg", null], plan.Detections.Paths.AsEnumerable());
        Assert.Equal([Zone, Zone], plan.Detections.Zones);
        Assert.Equal([4000L, 4001], plan.Detections.OccurrenceIds.Select(o => o!.Value));
        Assert.Equal([2000L, 2000], plan.Classifications.DetectionIds);
        Assert.Equal([Moth, Luna], plan.Classifications.TaxonIds);
        Assert.Equal([0.95, 0.6], plan.Classifications.Scores);
        Assert.Equal([Zone, "UTC"], plan.Classifications.Zones);
        Assert.Equal([new DateTime(2024, 6, 1, 12, 0, 0), new DateTime(2024, 6, 1, 16, 0, 0)], plan.Classifications.Timestamps);
        Assert.Equal([BinaryMap, SpeciesMap], plan.Classifications.CategoryMapIds.Select(m => m!.Value));
        Assert.Equal([0.95, 0.05, 0.6, 0.4], plan.Classifications.ScoreVectors.Flat);
        Assert.Equal([0, 2], plan.Classifications.ScoreVectors.Offsets);
        Assert.Equal([-1, 2], plan.Classifications.LogitVectors.Lengths);
        Assert.Equal([1.5, -1.5], plan.Classifications.LogitVectors.Flat);

        // Terminal first: the species classification determines the first occurrence; the second has none.
        Assert.Equal([Luna, null], plan.Occurrences.DeterminationIds);
        Assert.Equal([0.6, null], plan.Occurrences.Scores);
        Assert.Equal([Event, Event], plan.Occurrences.EventIds);
        Assert.Equal([(900L, Luna), (901L, Moth)], plan.TaxaListTaxa.TaxaListIds.Zip(plan.TaxaListTaxa.TaxonIds).Order());
        Assert.Equal([Image], plan.ImageIds);
        Assert.Equal([Image], plan.ChangedImageIds);

        var summary = draft.Outcomes(new HashSet<long> { Image })[0].Summary!;
        Assert.Equal((2, 0, 2, 2, 1), (summary.DetectionsCreated, summary.DetectionsUpdated, summary.ClassificationsCreated, summary.OccurrencesCreated, summary.DeterminationsUpdated));
        Assert.Equal([Event], summary.EventIds);
        Assert.Equal([Image], summary.ImagesNeedingCrops);
        Assert.Contains("Updated the determination of 1 occurrences, left 1 unchanged", summary.LogLines.Select(l => l.Message));
    }

    [Fact]
    public void A_stored_bbox_is_reused_and_keeps_its_own_classifications()
    {
        var world = new PlannerWorld();
        world.Snapshot.BboxMatches[(Image, "[1.0, 1.0, 11.0, 11.0]")] = new DetectionRow(77, Image, 99, null, 700);
        world.Snapshot.Occurrences[700] = new OccurrenceRow(700, Moth, 0.5);
        world.Snapshot.Classifications.Add(new ClassificationRow(60, 77, 700, Moth, Binary, 0.5, true, new DateTime(2024, 1, 1), true, false, false));

        var draft = world.Plan(Result(
            [Image],
            Detection(Image, Box(2), classifications: [Classification("species", "Actias luna", [0.9, 0.1])]),
            Detection(Image, Box(1), crop: "c.jpg", classifications: [Classification("species", "Actias luna", [0.7, 0.3])])));
        var plan = draft.Complete(Allocate(draft));

        Assert.Equal([2000L], plan.Detections.Ids);
        Assert.Equal([2000L, 77], plan.Classifications.DetectionIds);
        Assert.Equal([77L], plan.DetectionUpdates.Ids);
        Assert.Equal<string?>(["c.jpg"], plan.DetectionUpdates.Paths.AsEnumerable());
        Assert.Equal([null], plan.DetectionUpdates.OccurrenceIds);
        Assert.Equal([700L], plan.Determinations.Ids);
        Assert.Equal([Luna], plan.Determinations.TaxonIds);
        Assert.Equal([0.7], plan.Determinations.Scores);
        var summary = draft.Outcomes(new HashSet<long>())[0].Summary!;
        Assert.Equal((1, 1, 1), (summary.DetectionsCreated, summary.DetectionsUpdated, summary.OccurrencesCreated));
    }

    [Fact]
    public void A_duplicate_classification_is_backfilled_only_where_null_and_only_with_values()
    {
        var world = new PlannerWorld();
        world.Snapshot.BboxMatches[(Image, "[1.0, 1.0, 11.0, 11.0]")] = new DetectionRow(77, Image, Detector, "p.jpg", 700);
        world.Snapshot.Occurrences[700] = new OccurrenceRow(700, Luna, 0.7);
        // Older and newer duplicates: the newer one (created_at) is the one Antenna's .first() returns.
        world.Snapshot.Classifications.Add(new ClassificationRow(60, 77, 700, Luna, Species, 0.7, true, new DateTime(2024, 1, 1), true, true, true));
        world.Snapshot.Classifications.Add(new ClassificationRow(61, 77, 700, Luna, Species, 0.7, true, new DateTime(2024, 2, 1), true, true, true));

        var draft = world.Plan(Result([Image], Detection(Image, Box(1), classifications: [Classification("species", "Actias luna", [0.7, 0.3])])));
        Assert.False(draft.NeedsAllocation);
        var plan = draft.Complete(WriteAllocation.None);

        Assert.Empty(plan.Classifications.Ids);
        Assert.Equal([61L], plan.Backfills.Ids);
        Assert.Equal([SpeciesMap], plan.Backfills.CategoryMapIds.Select(m => m!.Value));
        Assert.Equal([0.7, 0.3], plan.Backfills.ScoreVectors.Flat);
        Assert.Equal([-1], plan.Backfills.LogitVectors.Lengths);
        Assert.Empty(plan.Determinations.Ids);
        var summary = draft.Outcomes(new HashSet<long>())[0].Summary!;
        Assert.Equal((0, 1, 0), (summary.ClassificationsCreated, summary.ClassificationsUpdated, summary.DeterminationsUpdated));
    }

    [Fact]
    public void An_exact_replay_plans_no_writes_but_the_image_refresh()
    {
        var world = new PlannerWorld();
        world.Snapshot.BboxMatches[(Image, "[1.0, 1.0, 11.0, 11.0]")] = new DetectionRow(77, Image, Detector, "p.jpg", 700);
        world.Snapshot.Occurrences[700] = new OccurrenceRow(700, Luna, 0.7);
        world.Snapshot.Classifications.Add(new ClassificationRow(61, 77, 700, Luna, Species, 0.7, true, new DateTime(2024, 2, 1), true, false, false));

        var draft = world.Plan(Result([Image], Detection(Image, Box(1), crop: "other.jpg", classifications: [Classification("species", "Actias luna", [0.7, 0.3])])));
        var plan = draft.Complete(WriteAllocation.None);

        Assert.Empty(plan.DetectionUpdates.Ids);
        Assert.Empty(plan.Backfills.Ids);
        Assert.Empty(plan.Determinations.Ids);
        Assert.Empty(plan.ChangedImageIds);
        Assert.Equal([Image], plan.ImageIds);
    }

    [Fact]
    public void Images_without_detections_get_a_marker_for_the_pipelines_detector_unless_one_exists()
    {
        var world = new PlannerWorld();
        world.Snapshot.NullBboxDetections.Add(new DetectionRow(88, OtherImage, Detector, null, null));

        var draft = world.Plan(Result([Image, OtherImage, Image]));
        var plan = draft.Complete(Allocate(draft));

        // One bbox-NULL response per entry, none of which sees another's new marker: an image
        // listed twice gets two (Antenna's create_null_detections_for_undetected_images).
        Assert.Empty(plan.Detections.Ids);
        Assert.Equal([2000L, 2001], plan.Markers.Ids);
        Assert.Equal([Image, Image], plan.Markers.ImageIds);
        Assert.Equal([Detector, Detector], plan.Markers.AlgorithmIds);
        Assert.Equal(0, draft.NewOccurrenceCount);
        var summary = draft.Outcomes(new HashSet<long>())[0].Summary!;
        Assert.Equal(2, summary.NullMarkersCreated);
        Assert.Contains("Created 2 new detections, updated 1 existing detections, for 2 source image(s)", summary.LogLines.Select(l => l.Message));
    }

    [Fact]
    public void A_later_result_in_the_group_sees_what_an_earlier_one_created()
    {
        var world = new PlannerWorld();
        var draft = world.Plan(
            Result([Image], Detection(Image, Box(1), classifications: [Classification("species", "Actias luna", [0.6, 0.4])])),
            Result([Image], Detection(Image, Box(1), crop: "late.jpg", classifications:
            [
                Classification("species", "Actias luna", [0.6, 0.4]),
                Classification("species", "Brand new", [0.1, 0.9]),
            ])));
        var plan = draft.Complete(Allocate(draft));

        Assert.Equal([2000L], plan.Detections.Ids);
        Assert.Equal<string?>(["late.jpg"], plan.Detections.Paths.AsEnumerable());
        Assert.Equal(2, plan.Classifications.Ids.Length);
        Assert.Equal([0.9], plan.Occurrences.Scores);
        var outcomes = draft.Outcomes(new HashSet<long>());
        Assert.Equal((1, 0, 1), (outcomes[0].Summary!.DetectionsCreated, outcomes[0].Summary!.DetectionsUpdated, outcomes[0].Summary!.ClassificationsCreated));
        Assert.Equal((0, 1, 1, 1), (outcomes[1].Summary!.DetectionsCreated, outcomes[1].Summary!.DetectionsUpdated, outcomes[1].Summary!.ClassificationsCreated, outcomes[1].Summary!.ClassificationsUpdated));
        Assert.Equal(1, outcomes[1].Summary!.TaxaCreated);
    }

    [Theory]
    [InlineData("other-detector", "species", "Detection algorithm other-detector is not a known algorithm. The processing service must declare it in the /info endpoint. Known algorithms: ['detector', 'species', 'binary', 'nomap']")]
    [InlineData("detector", "unknown", "Classification algorithm unknown is not a known algorithm. The processing service must declare it in the /info endpoint. Known algorithms: ['detector', 'species', 'binary', 'nomap']")]
    public void An_unregistered_algorithm_fails_only_its_result(string detector, string classifier, string reason)
    {
        var world = new PlannerWorld();
        var draft = world.Plan(
            Result([Image], Detection(Image, Box(1), classifications: [Classification("species", "New one", [1.0])]), Detection(Image, Box(2), detector: detector, classifications: [Classification(classifier, "x", [1.0])])),
            Result([OtherImage], Detection(OtherImage, Box(3))));

        Assert.Equal(reason, draft.FailureOf(0));
        Assert.Null(draft.FailureOf(1));
        Assert.Empty(draft.NewTaxonLabels);
        Assert.Equal(1, draft.NewDetectionCount);
        var plan = draft.Complete(Allocate(draft));
        Assert.Equal([OtherImage], plan.ImageIds);
        Assert.Equal(reason, draft.Outcomes(new HashSet<long>())[0].FailureReason);
    }

    [Fact]
    public void Pipelines_must_exist_and_have_exactly_one_detector()
    {
        var world = new PlannerWorld();
        world.Snapshot.Pipelines["none"] = new PipelineRow(11, "none", [new AlgorithmRow(Species, "species", "S", "classification", null)]);
        world.Snapshot.Pipelines["two"] = new PipelineRow(12, "two", [new AlgorithmRow(1, "a", "A", "detection", null), new AlgorithmRow(5, "b", "B", "segmentation", null)]);
        var unknown = Result([Image]) with { Pipeline = "unknown" };

        var draft = world.Plan(unknown, Result([Image]) with { Pipeline = "none" }, Result([Image]) with { Pipeline = "two" }, unknown);

        Assert.Equal(WritePlanner.NoDetectionAlgorithm, draft.FailureOf(0));
        Assert.Equal(WritePlanner.NoDetectionAlgorithm, draft.FailureOf(1));
        Assert.Equal(WritePlanner.SeveralDetectionAlgorithms, draft.FailureOf(2));
        Assert.Equal(["unknown"], draft.PlaceholderPipelines);
        Assert.False(draft.HasWrites);
    }

    [Fact]
    public void New_taxa_take_the_rank_of_the_map_entry_at_the_argmax_and_genera_display_with_sp()
    {
        var world = new PlannerWorld();
        world.Snapshot.Ranks[("species", 1)] = "GENUS";
        var draft = world.Plan(Result(
            [Image],
            Detection(Image, Box(1), classifications:
            [
                Classification("species", "Catocala", [0.2, 0.8, 0.8]),
                Classification("species", "Mystery", [0.9, 0.1]),
                Classification("nomap", "Other", [0.9, 0.1]),
            ])));

        Assert.Equal(["Catocala", "Mystery", "Other"], draft.NewTaxonLabels);
        Assert.Contains("taxon:Catocala", draft.NameLockKeys);
        Assert.Contains("categorymap:4", draft.NameLockKeys);
        Assert.Contains("taxalist:Taxa returned by No map", draft.NameLockKeys);
        var plan = draft.Complete(Allocate(draft));
        Assert.Equal(["GENUS", "UNKNOWN", "UNKNOWN"], plan.Taxa.Ranks);
        Assert.Equal(["Catocala sp.", "Mystery", "Other"], plan.Taxa.DisplayNames);
        Assert.Contains("Registered new taxon Catocala (GENUS)", draft.Outcomes(new HashSet<long>())[0].Summary!.LogLines.Select(l => l.Message));
    }

    [Fact]
    public void Inactive_names_and_taken_display_names_fail_the_result()
    {
        var world = new PlannerWorld();
        world.Snapshot.InactiveNames.Add("Retired");
        world.Snapshot.Ranks[("species", 0)] = "GENUS";
        var draft = world.Plan(
            Result([Image], Detection(Image, Box(1), classifications: [Classification("species", "Retired", [0.1, 0.9])])),
            Result([Image], Detection(Image, Box(2), classifications: [Classification("species", "Foo", [0.9, 0.1])])),
            Result([Image], Detection(Image, Box(3), classifications: [Classification("binary", "Foo sp.", [0.9, 0.1])])));

        Assert.Equal("Cannot register taxon \"Retired\": an inactive taxon with that name exists", draft.FailureOf(0));
        Assert.Null(draft.FailureOf(1));
        Assert.Equal("Cannot register taxon \"Foo sp.\": display name \"Foo sp.\" is already used by another taxon", draft.FailureOf(2));
    }

    [Fact]
    public void Empty_scores_and_non_finite_boxes_fail()
    {
        var world = new PlannerWorld();
        var draft = world.Plan(
            Result([Image], Detection(Image, Box(1), classifications: [Classification("species", "Actias luna", [])])),
            Result([Image], Detection(Image, new Core.Contracts.BoundingBox(0, double.PositiveInfinity, 1, 1))));

        Assert.Equal("Classification \"Actias luna\" by species has no scores", draft.FailureOf(0));
        Assert.StartsWith("Detection on source image 100 has a bounding box", draft.FailureOf(1), StringComparison.Ordinal);
    }

    [Fact]
    public void A_placeholder_map_is_planned_once_per_algorithm_from_its_first_classification()
    {
        var world = new PlannerWorld();
        var draft = world.Plan(
            Result([Image], Detection(Image, Box(1), classifications: [Classification("nomap", "moth", [0.1, 0.2, 0.7], timestamp: Aware)])),
            Result([OtherImage], Detection(OtherImage, Box(1), classifications: [Classification("nomap", "moth", [0.5, 0.5], labels: ["a", "b"])])));

        Assert.Equal([NoMap], draft.NewCategoryMapAlgorithmIds);
        var plan = draft.Complete(Allocate(draft));
        Assert.Equal(["0", "1", "2"], plan.CategoryMaps.Labels);
        Assert.Equal(["2024-06-01T16:00:00+00:00"], plan.CategoryMaps.Versions);
        Assert.Equal("""[{"label":"0","index":0},{"label":"1","index":1},{"label":"2","index":2}]""", plan.CategoryMaps.Data[0]);
        Assert.Equal([NoMap], plan.CategoryMaps.AlgorithmIds);
        Assert.Equal([LabelsHash.Compute(["0", "1", "2"])], plan.CategoryMaps.LabelsHashes);
        Assert.All(plan.Classifications.CategoryMapIds, m => Assert.Equal(plan.CategoryMaps.Ids[0], m));
        var outcomes = draft.Outcomes(new HashSet<long>());
        Assert.Contains(outcomes[0].Summary!.LogLines, l => l.Level == JobLogLevel.Warning);
        Assert.DoesNotContain(outcomes[1].Summary!.LogLines, l => l.Level == JobLogLevel.Warning);
    }

    [Fact]
    public void Rows_another_writer_created_meanwhile_are_used_not_inserted()
    {
        var world = new PlannerWorld();
        var draft = world.Plan(Result([Image], Detection(Image, Box(1), classifications: [Classification("nomap", "Brand new", [0.9, 0.1])])));
        var plan = draft.Complete(Allocate(draft, created: false));

        Assert.Empty(plan.Taxa.Ids);
        Assert.Empty(plan.TaxaLists.Ids);
        Assert.Empty(plan.CategoryMaps.Ids);
        Assert.Equal([1000L], plan.Classifications.TaxonIds);
        Assert.Equal([1002L], plan.Classifications.CategoryMapIds.Select(m => m!.Value));
        Assert.Equal([1001L], plan.TaxaListTaxa.TaxaListIds);
        var summary = draft.Outcomes(new HashSet<long>())[0].Summary!;
        Assert.Equal(0, summary.TaxaCreated);
        Assert.DoesNotContain(summary.LogLines, l => l.Message.StartsWith("Registered", StringComparison.Ordinal) || l.Message.StartsWith("Created new taxa list", StringComparison.Ordinal));
    }

    [Fact]
    public void A_human_identification_determines_the_occurrence()
    {
        var world = new PlannerWorld();
        world.Snapshot.BboxMatches[(Image, "[1.0, 1.0, 11.0, 11.0]")] = new DetectionRow(77, Image, Detector, "p.jpg", 700);
        world.Snapshot.Occurrences[700] = new OccurrenceRow(700, Luna, 0.7);
        world.Snapshot.Identifications[700] = Moth;

        var draft = world.Plan(Result([Image], Detection(Image, Box(1), classifications: [Classification("species", "Actias luna", [0.99, 0.01])])));
        var plan = draft.Complete(Allocate(draft));

        Assert.Equal([Moth], plan.Determinations.TaxonIds);
        Assert.Equal([1.0], plan.Determinations.Scores);
    }

    [Fact]
    public void Missing_and_unparseable_images_are_reported_once_and_skipped()
    {
        var world = new PlannerWorld();
        var result = Result([Image, 555]) with
        {
            SourceImages = [new("100", "u"), new("555", "u"), new("abc", "u")],
            Detections = [Detection(555, Box(1)), Detection(555, Box(2))],
        };

        var draft = world.Plan(result);
        var summary = draft.Outcomes(new HashSet<long>())[0].Summary!;

        Assert.Equal(["555", "abc"], summary.MissingImageIds);
        Assert.Equal([Image], summary.ImageIds);
        Assert.Equal(1, draft.NewDetectionCount);
        Assert.Equal(2, summary.LogLines.Count(l => l.Level == JobLogLevel.Error));
        Assert.Contains("Created 0 new detections, updated 0 existing detections, for 1 source image(s)", summary.LogLines.Select(l => l.Message));
    }

    [Fact]
    public void The_read_request_collects_distinct_keys()
    {
        var read = ReadRequest.For(
        [
            Result([OtherImage, Image], Detection(Image, Box(1), classifications: [Classification("species", "A", [0.1, 0.5, 0.5])]), Detection(Image, Box(1))),
            Result([Image]) with { Detections = [Detection(555, null, classifications: [Classification("species", "A", [0.1, 0.5, 0.5]), Classification("binary", "B", [])])] },
        ]);

        Assert.Equal([Image, OtherImage, 555], read.ImageIds);
        Assert.Equal(["main"], read.Slugs);
        Assert.Equal(["[1.0, 1.0, 11.0, 11.0]"], read.Bboxes);
        Assert.Equal(["A", "B"], read.Labels.Order());
        Assert.Equal([("species", 1, "A")], read.RankKeys.Zip(read.RankIndexes, read.RankLabels));
        Assert.Equal(["binary", "species"], read.ClassificationKeys.Order());
    }
}
