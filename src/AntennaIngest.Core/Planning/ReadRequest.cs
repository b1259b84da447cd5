using System.Globalization;
using AntennaIngest.Core.Contracts;

namespace AntennaIngest.Core.Planning;

/// <summary>The keys the first round trip reads by, collected from a group of results.</summary>
public sealed class ReadRequest
{
    private ReadRequest()
    {
    }

    /// <summary>Every parseable source image id (source_images and detections), sorted, distinct: what is locked.</summary>
    public long[] ImageIds { get; private init; } = [];

    public string[] Slugs { get; private init; } = [];

    /// <summary>Distinct (image, bbox text) pairs, as two parallel arrays.</summary>
    public long[] BboxImageIds { get; private init; } = [];

    public string[] Bboxes { get; private init; } = [];

    public string[] Labels { get; private init; } = [];

    /// <summary>Distinct (algorithm key, argmax, label) triples, for the ranks of taxa that may be created.</summary>
    public string[] RankKeys { get; private init; } = [];

    public int[] RankIndexes { get; private init; } = [];

    public string[] RankLabels { get; private init; } = [];

    public string[] ClassificationKeys { get; private init; } = [];

    public static bool TryParseImageId(string text, out long id) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out id) && id > 0;

    /// <summary>Python's <c>scores.index(max(scores))</c>: the first index of the maximum.</summary>
    public static int ArgMax(IReadOnlyList<double> scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        var best = 0;
        for (var i = 1; i < scores.Count; i++)
        {
            if (scores[i] > scores[best])
            {
                best = i;
            }
        }

        return best;
    }

    public static ReadRequest For(IReadOnlyList<PipelineResultsResponse> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var images = new SortedSet<long>();
        var slugs = new HashSet<string>(StringComparer.Ordinal);
        var boxes = new HashSet<(long, string)>();
        var labels = new HashSet<string>(StringComparer.Ordinal);
        var ranks = new HashSet<(string, int, string)>();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var result in results)
        {
            slugs.Add(result.Pipeline);
            foreach (var image in result.SourceImages)
            {
                if (TryParseImageId(image.Id, out var id))
                {
                    images.Add(id);
                }
            }

            foreach (var detection in result.Detections)
            {
                var found = TryParseImageId(detection.SourceImageId, out var imageId);
                if (found)
                {
                    images.Add(imageId);
                    if (detection.Bbox is { } box && BboxJson.IsFinite(box))
                    {
                        boxes.Add((imageId, BboxJson.Format(box)));
                    }
                }

                foreach (var classification in detection.Classifications)
                {
                    keys.Add(classification.Algorithm.Key);
                    labels.Add(classification.Classification);
                    if (classification.Scores.Length > 0)
                    {
                        ranks.Add((classification.Algorithm.Key, ArgMax(classification.Scores), classification.Classification));
                    }
                }
            }
        }

        var boxList = boxes.ToList();
        var rankList = ranks.ToList();
        return new ReadRequest
        {
            ImageIds = [.. images],
            Slugs = [.. slugs],
            BboxImageIds = [.. boxList.Select(b => b.Item1)],
            Bboxes = [.. boxList.Select(b => b.Item2)],
            Labels = [.. labels],
            RankKeys = [.. rankList.Select(r => r.Item1)],
            RankIndexes = [.. rankList.Select(r => r.Item2)],
            RankLabels = [.. rankList.Select(r => r.Item3)],
            ClassificationKeys = [.. keys],
        };
    }
}
