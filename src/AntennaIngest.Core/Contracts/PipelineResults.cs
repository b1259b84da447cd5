namespace AntennaIngest.Core.Contracts;

// The result a GPU worker posts for one image, after the validation Antenna's pydantic v1
// schemas apply (ami/ml/schemas.py): ids are strings, numbers are doubles, optional fields carry
// their defaults. One of Success or Error is set.

/// <summary>A PipelineTaskResult's `result`: either a response or an error.</summary>
public sealed class PipelineResult
{
    private PipelineResult(PipelineResultsResponse? success, PipelineResultsError? error)
    {
        Success = success;
        Error = error;
    }

    public PipelineResultsResponse? Success { get; }

    public PipelineResultsError? Error { get; }

    public bool IsError => Error is not null;

    public static PipelineResult FromSuccess(PipelineResultsResponse response) => new(response, null);

    public static PipelineResult FromError(PipelineResultsError error) => new(null, error);

    /// <summary>
    /// Image ids this result settles in Redis (Antenna: `processed`); error results name at most
    /// one, and none when the id is null or "" (Antenna tests its truthiness).
    /// </summary>
    public IReadOnlyList<string> ImageIds()
    {
        if (Error is not null)
        {
            return string.IsNullOrEmpty(Error.ImageId) ? [] : [Error.ImageId];
        }

        var ids = new List<string>(Success!.SourceImages.Count);
        foreach (var image in Success.SourceImages)
        {
            if (!ids.Contains(image.Id))
            {
                ids.Add(image.Id);
            }
        }

        return ids;
    }
}

/// <summary>PipelineResultsResponse.</summary>
public sealed record PipelineResultsResponse(
    string Pipeline,
    double TotalTime,
    IReadOnlyList<SourceImageResponse> SourceImages,
    IReadOnlyList<DetectionResponse> Detections)
{
    /// <summary>Σ classifications over detections, as Antenna counts them for the results stage.</summary>
    public int ClassificationCount()
    {
        var count = 0;
        foreach (var detection in Detections)
        {
            count += detection.Classifications.Count;
        }

        return count;
    }
}

/// <summary>PipelineResultsError: `error` with an optional image id.</summary>
public sealed record PipelineResultsError(string Error, string? ImageId);

/// <summary>SourceImageResponse: the SourceImage primary key as a decimal string, and its URL.</summary>
public sealed record SourceImageResponse(string Id, string Url);

/// <summary>AlgorithmReference: the key must be registered on the pipeline.</summary>
public sealed record AlgorithmReference(string Name, string Key);

/// <summary>Absolute pixel coordinates; not validated (reversed or negative boxes are accepted, as Antenna does).</summary>
public readonly record struct BoundingBox(double X1, double Y1, double X2, double Y2);

/// <summary>DetectionResponse. A null <see cref="Bbox"/> is a null detection sent by the service.</summary>
public sealed record DetectionResponse(
    string SourceImageId,
    BoundingBox? Bbox,
    double? InferenceTime,
    AlgorithmReference Algorithm,
    ResultTimestamp Timestamp,
    string? CropImageUrl,
    IReadOnlyList<ClassificationResponse> Classifications);

/// <summary>ClassificationResponse; <see cref="Terminal"/> defaults to true as in Antenna's schema.</summary>
public sealed record ClassificationResponse(
    string Classification,
    IReadOnlyList<string>? Labels,
    double[] Scores,
    double[]? Logits,
    double? InferenceTime,
    AlgorithmReference Algorithm,
    bool Terminal,
    ResultTimestamp Timestamp);
