using System.Globalization;
using System.Text.Json;
using AntennaIngest.Testing;

namespace AntennaIngest.Benchmarks;

/// <summary>
/// Celery bodies of process_nats_pipeline_result with a result of about the requested size:
/// one image, detections with a binary and a species classification whose score and logit
/// vectors set the size, as Antenna's GPU workers post them. Seeded, so every run decodes the
/// same bytes.
/// </summary>
internal static class Payloads
{
    public static byte[] CeleryBody(int targetBytes)
    {
        // Per detection: ~450 bytes of fields plus ~2 x 20 bytes per species label.
        var (detections, labels) = targetBytes switch
        {
            < 20_000 => (2, 30),
            < 1_000_000 => (10, 450),
            < 10_000_000 => (30, 1_600),
            _ => (25, targetBytes / 25 / 40),
        };
        var random = new Random(targetBytes);
        return CeleryMessage.Create(
            CeleryMessage.ProcessResultTask,
            writer =>
            {
                writer.WriteNumber("job_id", 7);
                writer.WriteStartObject("result_data");
                writer.WriteString("pipeline", "quebec_vermont_moths_2023");
                writer.WriteNumber("total_time", 1.25);
                writer.WriteStartArray("source_images");
                writer.WriteStartObject();
                writer.WriteString("id", "1001");
                writer.WriteString("url", "http://127.0.0.1:8000/images/20240601021344-snapshot.jpg");
                writer.WriteEndObject();
                writer.WriteEndArray();
                writer.WriteStartArray("detections");
                for (var d = 0; d < detections; d++)
                {
                    WriteDetection(writer, random, d, labels);
                }

                writer.WriteEndArray();
                writer.WriteNull("errors");
                writer.WriteEndObject();
                writer.WriteString("reply_subject", "$JS.ACK.job_7.job-7-consumer.1.5.5.1718000000000000000.3");
            },
            compress: false,
            taskId: "bench").Body;
    }

    public static byte[] Zlib(byte[] data) => CeleryMessage.Zlib(data);

    private static void WriteDetection(Utf8JsonWriter writer, Random random, int index, int labels)
    {
        writer.WriteStartObject();
        writer.WriteString("source_image_id", "1001");
        writer.WriteStartObject("bbox");
        writer.WriteNumber("x1", 100.5 + index);
        writer.WriteNumber("y1", 200.25 + index);
        writer.WriteNumber("x2", 380.75 + index);
        writer.WriteNumber("y2", 460.0 + index);
        writer.WriteEndObject();
        writer.WriteNumber("inference_time", 0.0123);
        WriteAlgorithm(writer, "Fasterrcnn Mobilenet for AMI Moth Traps 2023", "fasterrcnn_mobilenet_for_ami_moth_traps_2023");
        writer.WriteString("timestamp", "2024-06-01T02:13:44.123456");
        writer.WriteNull("crop_image_url");
        writer.WriteStartArray("classifications");
        WriteClassification(writer, random, "moth", 2, "moth_nonmoth_classifier");
        WriteClassification(writer, random, "Species " + index.ToString(CultureInfo.InvariantCulture), labels, "quebec_vermont_species_classifier");
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void WriteClassification(Utf8JsonWriter writer, Random random, string label, int labels, string algorithmKey)
    {
        writer.WriteStartObject();
        writer.WriteString("classification", label);
        writer.WriteStartArray("labels");
        writer.WriteEndArray();
        writer.WriteStartArray("scores");
        for (var i = 0; i < labels; i++)
        {
            writer.WriteNumberValue(random.NextDouble());
        }

        writer.WriteEndArray();
        writer.WriteStartArray("logits");
        for (var i = 0; i < labels; i++)
        {
            writer.WriteNumberValue((random.NextDouble() * 20) - 10);
        }

        writer.WriteEndArray();
        writer.WriteNumber("inference_time", 0.004);
        WriteAlgorithm(writer, algorithmKey, algorithmKey);
        writer.WriteString("timestamp", "2024-06-01T02:13:45");
        writer.WriteBoolean("terminal", labels > 2);
        writer.WriteEndObject();
    }

    private static void WriteAlgorithm(Utf8JsonWriter writer, string name, string key)
    {
        writer.WriteStartObject("algorithm");
        writer.WriteString("name", name);
        writer.WriteString("key", key);
        writer.WriteEndObject();
    }
}
