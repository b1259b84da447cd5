using System.Globalization;
using AntennaIngest.Core.Contracts;
using AntennaIngest.Core.Planning;

namespace AntennaIngest.UnitTests.Planning;

/// <summary>A hand-made snapshot (what round trip 1 would read) and result builders for planner tests.</summary>
internal sealed class PlannerWorld
{
    public const long Project = 7, Deployment = 8, Event = 9;
    public const long Image = 100, OtherImage = 101;
    public const long Detector = 1, Species = 2, Binary = 3, NoMap = 4;
    public const long SpeciesMap = 50, BinaryMap = 51;
    public const long Luna = 500, Moth = 501;
    public const string Zone = "America/New_York";

    public static readonly ResultTimestamp Naive = new(new DateTime(2024, 6, 1, 12, 0, 0, DateTimeKind.Unspecified), "2024-06-01T12:00:00");
    public static readonly ResultTimestamp Aware = new(new DateTime(2024, 6, 1, 16, 0, 0, DateTimeKind.Utc), "2024-06-01T16:00:00+00:00");

    public PlannerWorld()
    {
        Snapshot.Pipelines["main"] = new PipelineRow(10, "main",
        [
            new AlgorithmRow(Detector, "detector", "Detector", "detection", null),
            new AlgorithmRow(Species, "species", "Species classifier", "classification", SpeciesMap),
            new AlgorithmRow(Binary, "binary", "Binary", "classification", BinaryMap),
            new AlgorithmRow(NoMap, "nomap", "No map", "classification", null),
        ], "Main pipeline", 2);
        Snapshot.Images[Image] = new ImageRow(Image, Deployment, Event, Project);
        Snapshot.Images[OtherImage] = new ImageRow(OtherImage, Deployment, Event, null);
        Snapshot.TaxaByLabel["Actias luna"] = Luna;
        Snapshot.TaxaByLabel["moth"] = Moth;
        Snapshot.TaxaListsByAlgorithm[Species] = 900;
        Snapshot.TaxaListsByAlgorithm[Binary] = 901;
    }

    public ReadSnapshot Snapshot { get; } = new();

    public WriteDraft Plan(params PipelineResultsResponse[] results) => WritePlanner.Plan(results, Snapshot, Zone);

    /// <summary>Ids as round trip 2 would hand them out: created, counting up from 1000 per kind.</summary>
    public static WriteAllocation Allocate(WriteDraft draft, bool created = true)
    {
        var next = 1000L;
        List<NamedId> Named(int count) => [.. Enumerable.Range(0, count).Select(_ => new NamedId(next++, created))];
        var taxa = Named(draft.NewTaxonLabels.Count);
        var lists = Named(draft.NewTaxaListNames.Count);
        var maps = Named(draft.NewCategoryMapAlgorithmIds.Count);
        long[] Ids(int count, long from) => [.. Enumerable.Range(0, count).Select(i => from + i)];
        return new WriteAllocation(taxa, lists, maps, Ids(draft.NewDetectionCount, 2000), Ids(draft.NewClassificationCount, 3000), Ids(draft.NewOccurrenceCount, 4000));
    }

    public static PipelineResultsResponse Result(long[] images, params DetectionResponse[] detections) =>
        new("main", 1, [.. images.Select(i => new SourceImageResponse(i.ToString(CultureInfo.InvariantCulture), "u"))], detections);

    public static DetectionResponse Detection(long image, BoundingBox? box, string detector = "detector", string? crop = null, params ClassificationResponse[] classifications) =>
        new(image.ToString(CultureInfo.InvariantCulture), box, null, new AlgorithmReference(detector, detector), Naive, crop, classifications);

    public static ClassificationResponse Classification(string key, string label, double[] scores, double[]? logits = null, bool terminal = true, IReadOnlyList<string>? labels = null, ResultTimestamp? timestamp = null) =>
        new(label, labels, scores, logits, null, new AlgorithmReference(key, key), terminal, timestamp ?? Naive);

    public static BoundingBox Box(double x) => new(x, x, x + 10, x + 10);
}
