using AntennaIngest.Core.Contracts;
using AntennaIngest.Core.Processing;

namespace AntennaIngest.IntegrationTests.Writing;

/// <summary>Builds PipelineResultsResponse values as the decoder produces them.</summary>
public static class Results
{
    /// <summary>2024-06-01 12:00:00 naive: a New York wall-clock time, 16:00 UTC.</summary>
    public static readonly ResultTimestamp Naive = new(new DateTime(2024, 6, 1, 12, 0, 0, DateTimeKind.Unspecified), "2024-06-01T12:00:00");

    /// <summary>2024-06-01 12:30:00+00:00, aware.</summary>
    public static readonly ResultTimestamp Aware = new(new DateTime(2024, 6, 1, 12, 30, 0, DateTimeKind.Utc), "2024-06-01T12:30:00+00:00");

    public static PipelineResultsResponse Response(string pipeline, IEnumerable<long> images, params DetectionResponse[] detections) =>
        new(pipeline, 1.5, [.. images.Select(i => new SourceImageResponse(i.ToString(System.Globalization.CultureInfo.InvariantCulture), $"https://example.org/{i}.jpg"))], detections);

    public static DetectionResponse Detection(long imageId, BoundingBox? box, string detector = "detector", string? crop = null, ResultTimestamp? timestamp = null, params ClassificationResponse[] classifications) =>
        new(imageId.ToString(System.Globalization.CultureInfo.InvariantCulture), box, 0.1, new AlgorithmReference(detector, detector), timestamp ?? Naive, crop, classifications);

    public static ClassificationResponse Classification(string key, string label, double[] scores, IReadOnlyList<string>? labels = null, double[]? logits = null, bool terminal = true, ResultTimestamp? timestamp = null) =>
        new(label, labels, scores, logits, 0.2, new AlgorithmReference(key, key), terminal, timestamp ?? Naive);

    public static SaveRequest[] Requests(params PipelineResultsResponse[] results) => [.. results.Select(r => new SaveRequest(null, r))];

    public static BoundingBox Box(double x1, double y1, double x2, double y2) => new(x1, y1, x2, y2);
}
