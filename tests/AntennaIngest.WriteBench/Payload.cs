using System.Text;
using AntennaIngest.Core.Contracts;
using AntennaIngest.Core.Planning;

namespace AntennaIngest.WriteBench;

/// <summary>
/// Rows a result adds (occurrences, detections, classifications, null markers) and their size as
/// binary COPY sends them: the one yardstick for the MB/s of both the saver and COPY.
/// </summary>
internal static class Payload
{
    private const int Row = 2;
    private const int Field = 4;
    private const int ArrayHeader = 20;

    public static (long Rows, long Bytes) Of(PipelineResultsResponse result)
    {
        if (result.Detections.Count == 0)
        {
            // Marker: id, created, updated, bbox NULL, timestamp, path NULL, detection_time, image, algorithm.
            return (1, Row + (9 * Field) + (6 * 8));
        }

        long rows = 0, bytes = 0;
        foreach (var detection in result.Detections)
        {
            rows += 2;
            bytes += Row + (7 * Field) + (7 * 8); // occurrence: id, times, event, deployment, project, determination, score
            bytes += Row + (10 * Field) + (8 * 8) + 1 + Encoding.UTF8.GetByteCount(BboxJson.Format(detection.Bbox!.Value));
            foreach (var classification in detection.Classifications)
            {
                rows++;
                bytes += Row + (12 * Field) + (8 * 8) + 1 + Vector(classification.Scores) + Vector(classification.Logits);
            }
        }

        return (rows, bytes);
    }

    private static long Vector(double[]? values) => values is null ? 0 : ArrayHeader + (values.LongLength * (Field + 8));
}
