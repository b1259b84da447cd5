using System.Buffers;
using System.Globalization;
using System.Text.Json;
using AntennaIngest.Testing;
using AntennaIngest.Workload.Setup;

namespace AntennaIngest.Workload.Generation;

/// <summary>
/// Writes a <see cref="ResultSpec"/> as the `result` JSON of one PipelineTaskResult. Two shapes:
/// <see cref="ResultShape.Celery"/> is what reaches the Celery task after the view's pydantic
/// `.dict()` and kombu (every optional field present, datetimes in kombu's `__type__` envelope);
/// <see cref="ResultShape.Adc"/> is what the ADC worker posts (naive ISO strings).
/// </summary>
public static class ResultWriter
{
    public static byte[] Write(ResultSpec spec, PipelinePlan pipeline, ImagePlan image, ResultShape shape)
    {
        var buffer = new ArrayBufferWriter<byte>(EstimateBytes(spec));
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true }))
        {
            Write(writer, spec, pipeline, image, shape);
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static void Write(Utf8JsonWriter writer, ResultSpec spec, PipelinePlan pipeline, ImagePlan image, ResultShape shape)
    {
        var imageId = image.Id.ToString(CultureInfo.InvariantCulture);
        writer.WriteStartObject();
        if (spec.IsError)
        {
            writer.WriteString("error", spec.Error);
            writer.WriteString("image_id", imageId);
            writer.WriteEndObject();
            return;
        }

        writer.WriteString("pipeline", pipeline.Slug);
        writer.WriteStartObject("algorithms");
        writer.WriteEndObject();
        WriteFloat(writer, "total_time", spec.TotalTime);
        writer.WriteStartArray("source_images");
        writer.WriteStartObject();
        writer.WriteString("id", imageId);
        writer.WriteString("url", image.Url);
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteStartArray("detections");
        foreach (var detection in spec.Detections)
        {
            writer.WriteStartObject();
            writer.WriteString("source_image_id", imageId);
            writer.WriteStartObject("bbox");
            WriteFloat(writer, "x1", detection.X1);
            WriteFloat(writer, "y1", detection.Y1);
            WriteFloat(writer, "x2", detection.X2);
            WriteFloat(writer, "y2", detection.Y2);
            writer.WriteEndObject();
            WriteFloat(writer, "inference_time", detection.InferenceTime);
            WriteAlgorithm(writer, pipeline.Detector);
            WriteTimestamp(writer, detection.Timestamp, shape);
            writer.WriteNull("crop_image_url");
            writer.WriteStartArray("classifications");
            WriteBinary(writer, detection, pipeline.Binary, shape);
            if (detection.Species is { } species)
            {
                WriteSpecies(writer, species, pipeline.Species, shape);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteNull("errors");
        writer.WriteEndObject();
    }

    /// <summary>Python's `datetime.isoformat()` of a naive time: microseconds only when non-zero.</summary>
    public static string IsoFormat(DateTime time) =>
        time.Ticks % TimeSpan.TicksPerSecond == 0
            ? time.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture)
            : time.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff", CultureInfo.InvariantCulture);

    private static void WriteBinary(Utf8JsonWriter writer, DetectionSpec detection, AlgorithmPlan algorithm, ResultShape shape)
    {
        writer.WriteStartObject();
        writer.WriteString("classification", detection.Species is null ? Taxonomy.NonMoth : Taxonomy.Moth);
        writer.WriteStartArray("labels");
        writer.WriteStringValue(Taxonomy.Moth);
        writer.WriteStringValue(Taxonomy.NonMoth);
        writer.WriteEndArray();
        writer.WriteStartArray("scores");
        WriteFloatValue(writer, detection.MothScore);
        WriteFloatValue(writer, 1 - detection.MothScore);
        writer.WriteEndArray();
        writer.WriteStartArray("logits");
        WriteFloatValue(writer, detection.MothLogit);
        WriteFloatValue(writer, detection.NonMothLogit);
        writer.WriteEndArray();
        WriteFloat(writer, "inference_time", 0.02);
        WriteAlgorithm(writer, algorithm);
        writer.WriteBoolean("terminal", false);
        WriteTimestamp(writer, detection.BinaryTimestamp, shape);
        writer.WriteEndObject();
    }

    private static void WriteSpecies(Utf8JsonWriter writer, SpeciesSpec species, AlgorithmPlan algorithm, ResultShape shape)
    {
        writer.WriteStartObject();
        writer.WriteString("classification", Taxonomy.SpeciesLabel(species.LabelIndex));
        writer.WriteNull("labels");
        writer.WriteStartArray("scores");
        foreach (var score in species.Scores)
        {
            WriteFloatValue(writer, score);
        }

        writer.WriteEndArray();
        writer.WriteStartArray("logits");
        foreach (var logit in species.Logits)
        {
            WriteFloatValue(writer, logit);
        }

        writer.WriteEndArray();
        WriteFloat(writer, "inference_time", 0.05);
        WriteAlgorithm(writer, algorithm);
        writer.WriteBoolean("terminal", true);
        WriteTimestamp(writer, species.Timestamp, shape);
        writer.WriteEndObject();
    }

    // Python's repr of each float, as kombu writes it (991.0, not 991; 1e-05, not 1E-05).
    private static void WriteFloat(Utf8JsonWriter writer, string name, double value)
    {
        writer.WritePropertyName(name);
        WriteFloatValue(writer, value);
    }

    private static void WriteFloatValue(Utf8JsonWriter writer, double value) =>
        writer.WriteRawValue(PythonRepr.OfDouble(value), skipInputValidation: true);

    private static void WriteAlgorithm(Utf8JsonWriter writer, AlgorithmPlan algorithm)
    {
        writer.WriteStartObject("algorithm");
        writer.WriteString("name", algorithm.Name);
        writer.WriteString("key", algorithm.Key);
        writer.WriteEndObject();
    }

    private static void WriteTimestamp(Utf8JsonWriter writer, DateTime time, ResultShape shape)
    {
        if (shape == ResultShape.Adc)
        {
            writer.WriteString("timestamp", IsoFormat(time));
            return;
        }

        writer.WriteStartObject("timestamp");
        writer.WriteString("__type__", "datetime");
        writer.WriteString("__value__", IsoFormat(time));
        writer.WriteEndObject();
    }

    private static int EstimateBytes(ResultSpec spec) => 1024 + (spec.Detections.Count * 900) + (spec.MothCount * 48 * 3000);
}
