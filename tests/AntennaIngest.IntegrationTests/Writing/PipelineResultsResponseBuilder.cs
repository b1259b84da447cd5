using System.Globalization;
using AntennaIngest.Core.Contracts;

namespace AntennaIngest.IntegrationTests.Writing;

/// <summary>A result with arbitrary source image ids (also ones that are not numbers).</summary>
public sealed class PipelineResultsResponseBuilder(string pipeline)
{
    private readonly List<SourceImageResponse> _images = [];
    private readonly List<DetectionResponse> _detections = [];

    public PipelineResultsResponseBuilder Image(long id) => ImageId(id.ToString(CultureInfo.InvariantCulture));

    public PipelineResultsResponseBuilder ImageId(string id)
    {
        _images.Add(new SourceImageResponse(id, $"https://example.org/{id}.jpg"));
        return this;
    }

    public PipelineResultsResponseBuilder Add(DetectionResponse detection)
    {
        _detections.Add(detection);
        return this;
    }

    public PipelineResultsResponse Build() => new(pipeline, 1.0, [.. _images], [.. _detections]);
}
