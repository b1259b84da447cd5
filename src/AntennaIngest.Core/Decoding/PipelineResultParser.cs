using System.Text.Json;
using AntennaIngest.Core.Contracts;
using static AntennaIngest.Core.Decoding.PydanticFields;

namespace AntennaIngest.Core.Decoding;

/// <summary>
/// Antenna's result schemas (ami/ml/schemas.py, pydantic v1): required fields, defaults,
/// coercions; unknown fields are ignored. Throws <see cref="InvalidFieldException"/>.
/// </summary>
internal static class PipelineResultParser
{
    /// <summary>Antenna's task rule: a dict with an "error" key is an error result.</summary>
    public static PipelineResult ParseTaskResult(JsonElement element, string path)
    {
        element = RequireObject(element, path);
        return element.TryGetProperty("error", out _)
            ? PipelineResult.FromError(ParseError(element, path))
            : PipelineResult.FromSuccess(ParseResponse(element, path));
    }

    /// <summary>pydantic v1 Union[PipelineResultsResponse, PipelineResultsError]: the first that validates wins.</summary>
    public static PipelineResult ParseUnion(JsonElement element, string path)
    {
        element = RequireObject(element, path);
        try
        {
            return PipelineResult.FromSuccess(ParseResponse(element, path));
        }
        catch (InvalidFieldException success)
        {
            try
            {
                return PipelineResult.FromError(ParseError(element, path));
            }
            catch (InvalidFieldException)
            {
                throw success; // the response's reason is the useful one
            }
        }
    }

    public static PipelineResultsError ParseError(JsonElement element, string path)
    {
        element = RequireObject(element, path);
        return new PipelineResultsError(
            String(Required(element, "error", path), Join(path, "error")),
            OptionalString(element, "image_id", path));
    }

    public static PipelineResultsResponse ParseResponse(JsonElement element, string path)
    {
        element = RequireObject(element, path);
        var pipeline = String(Required(element, "pipeline", path), Join(path, "pipeline"));
        if (Defaulted(element, "algorithms", path) is { } algorithms && algorithms.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidFieldException(Join(path, "algorithms"), "value is not a valid dict");
        }

        var totalTime = Float(Required(element, "total_time", path), Join(path, "total_time"));

        var imagesPath = Join(path, "source_images");
        var imagesElement = List(Required(element, "source_images", path), imagesPath);
        var images = new List<SourceImageResponse>(imagesElement.GetArrayLength());
        var i = 0;
        foreach (var item in imagesElement.EnumerateArray())
        {
            var itemPath = Index(imagesPath, i++);
            var image = RequireObject(item, itemPath);
            images.Add(new SourceImageResponse(
                String(Required(image, "id", itemPath), Join(itemPath, "id")),
                String(Required(image, "url", itemPath), Join(itemPath, "url"))));
        }

        var detectionsPath = Join(path, "detections");
        var detectionsElement = List(Required(element, "detections", path), detectionsPath);
        var detections = new List<DetectionResponse>(detectionsElement.GetArrayLength());
        i = 0;
        foreach (var item in detectionsElement.EnumerateArray())
        {
            detections.Add(ParseDetection(item, Index(detectionsPath, i++)));
        }

        if (Optional(element, "errors") is { } errors && errors.ValueKind is not (JsonValueKind.Array or JsonValueKind.String))
        {
            throw new InvalidFieldException(Join(path, "errors"), "value is not a valid list or str");
        }

        return new PipelineResultsResponse(pipeline, totalTime, images, detections);
    }

    private static DetectionResponse ParseDetection(JsonElement element, string path)
    {
        element = RequireObject(element, path);
        BoundingBox? bbox = null;
        if (Optional(element, "bbox") is { } box)
        {
            var boxPath = Join(path, "bbox");
            box = RequireObject(box, boxPath);
            bbox = new BoundingBox(
                Float(Required(box, "x1", boxPath), Join(boxPath, "x1")),
                Float(Required(box, "y1", boxPath), Join(boxPath, "y1")),
                Float(Required(box, "x2", boxPath), Join(boxPath, "x2")),
                Float(Required(box, "y2", boxPath), Join(boxPath, "y2")));
        }

        var classifications = new List<ClassificationResponse>();
        if (Defaulted(element, "classifications", path) is { } list)
        {
            var listPath = Join(path, "classifications");
            var i = 0;
            foreach (var item in List(list, listPath).EnumerateArray())
            {
                classifications.Add(ParseClassification(item, Index(listPath, i++)));
            }
        }

        return new DetectionResponse(
            String(Required(element, "source_image_id", path), Join(path, "source_image_id")),
            bbox,
            OptionalFloat(element, "inference_time", path),
            ParseAlgorithm(Required(element, "algorithm", path), Join(path, "algorithm")),
            PydanticDateTime.Parse(Required(element, "timestamp", path), Join(path, "timestamp")),
            OptionalString(element, "crop_image_url", path),
            classifications);
    }

    private static ClassificationResponse ParseClassification(JsonElement element, string path)
    {
        element = RequireObject(element, path);
        return new ClassificationResponse(
            String(Required(element, "classification", path), Join(path, "classification")),
            Optional(element, "labels") is { } labels ? StringList(labels, Join(path, "labels")) : null,
            Defaulted(element, "scores", path) is { } scores ? FloatList(scores, Join(path, "scores")) : [],
            Optional(element, "logits") is { } logits ? FloatList(logits, Join(path, "logits")) : null,
            OptionalFloat(element, "inference_time", path),
            ParseAlgorithm(Required(element, "algorithm", path), Join(path, "algorithm")),
            Defaulted(element, "terminal", path) is not { } terminal || Bool(terminal, Join(path, "terminal")),
            PydanticDateTime.Parse(Required(element, "timestamp", path), Join(path, "timestamp")));
    }

    private static AlgorithmReference ParseAlgorithm(JsonElement element, string path)
    {
        element = RequireObject(element, path);
        return new AlgorithmReference(
            String(Required(element, "name", path), Join(path, "name")),
            String(Required(element, "key", path), Join(path, "key")));
    }
}
