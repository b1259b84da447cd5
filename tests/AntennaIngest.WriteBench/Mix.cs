using System.Globalization;
using AntennaIngest.Core.Contracts;

namespace AntennaIngest.WriteBench;

/// <summary>
/// The realistic mix: one image per result, 0..max detections (uniform), each with a binary
/// moth classifier (2 labels) and a species classifier (all labels) with full score and logit
/// vectors. Vectors come from a small pool (their values do not matter to the database).
/// </summary>
internal sealed class Mix
{
    private readonly BenchOptions _options;
    private readonly double[][] _species;
    private readonly double[][] _speciesLogits;
    private readonly ResultTimestamp _at = new(new DateTime(2024, 6, 1, 12, 0, 0, DateTimeKind.Unspecified), "2024-06-01T12:00:00");

    public Mix(BenchOptions options)
    {
        _options = options;
        var random = new Random(options.Seed);
        _species = new double[32][];
        _speciesLogits = new double[32][];
        for (var v = 0; v < _species.Length; v++)
        {
            _species[v] = new double[options.Labels];
            _speciesLogits[v] = new double[options.Labels];
            for (var i = 0; i < options.Labels; i++)
            {
                _species[v][i] = random.NextDouble() / options.Labels;
                _speciesLogits[v][i] = (random.NextDouble() * 20) - 10;
            }

            _species[v][random.Next(options.Labels)] = 0.5 + (random.NextDouble() / 2);
        }
    }

    public static string Label(int index) => "Species " + index.ToString("D4", CultureInfo.InvariantCulture);

    /// <summary>The same sequence of results for any image ids (same seed → same detections and vectors).</summary>
    public List<PipelineResultsResponse> Results(IReadOnlyList<long> imageIds)
    {
        var random = new Random(_options.Seed + 1);
        var results = new List<PipelineResultsResponse>(imageIds.Count);
        foreach (var imageId in imageIds)
        {
            var image = imageId.ToString(CultureInfo.InvariantCulture);
            var count = random.Next(_options.MaxDetections + 1);
            var detections = new DetectionResponse[count];
            for (var d = 0; d < count; d++)
            {
                var v = random.Next(_species.Length);
                var scores = _species[v];
                var best = Array.IndexOf(scores, scores.Max());
                var moth = random.NextDouble();
                var x = random.Next(4000);
                var y = random.Next(3000);
                detections[d] = new DetectionResponse(
                    image,
                    new BoundingBox(x, y, x + 20 + random.Next(300), y + 20 + random.Next(300)),
                    0.05,
                    new AlgorithmReference("Moth detector", "bench-detector"),
                    _at,
                    null,
                    [
                        new ClassificationResponse(moth > 0.5 ? "moth" : "nonmoth", null, [moth, 1 - moth], _options.Logits ? [moth * 4, -moth * 4] : null, 0.01, new AlgorithmReference("Binary", "bench-binary"), false, _at),
                        new ClassificationResponse(Label(best), null, scores, _options.Logits ? _speciesLogits[v] : null, 0.02, new AlgorithmReference("Species", "bench-species"), true, _at),
                    ]);
            }

            results.Add(new PipelineResultsResponse("bench", 1.0, [new SourceImageResponse(image, "https://example.org/" + image)], detections));
        }

        return results;
    }
}
