namespace AntennaIngest.Workload.Generation;

/// <summary>
/// Draws the result a GPU worker would post for one image. Each image gets its own random stream
/// from (seed, job index, image index), so the same seed gives the same results in any order and
/// independently of database ids.
/// </summary>
public sealed class ResultGenerator(int seed, int speciesLabels, ResultTier? onlyTier = null)
{
    public const double ErrorShare = 0.02;

    // Shares of the success results per tier; with the detection counts below they give a median
    // near 5 KB, a mean near 190 KB and a maximum near 2 MB of serialized JSON.
    private static readonly (ResultTier Tier, double Share)[] s_tiers =
    [
        (ResultTier.Empty, 0.10),
        (ResultTier.Small, 0.65),
        (ResultTier.Medium, 0.175),
        (ResultTier.Large, 0.075),
    ];

    private static readonly string[] s_errors =
    [
        "Batch processing error: CUDA out of memory. Tried to allocate 2.00 GiB",
        "failed to load image",
        "Image download timed out after 30 seconds",
    ];

    // Naive wall-clock times as ADC's datetime.now() gives them; fixed so output is reproducible.
    private static readonly DateTime s_epoch = new(2026, 7, 22, 22, 0, 0, DateTimeKind.Unspecified);

    public int SpeciesLabels => speciesLabels;

    public ResultSpec Generate(int jobIndex, int imageIndex, int width, int height)
    {
        var random = new Random(Mix(seed, jobIndex, imageIndex));
        var time = s_epoch.AddHours(jobIndex).AddMilliseconds((imageIndex * 500) + random.Next(500));
        if (onlyTier is null && random.NextDouble() < ErrorShare)
        {
            return new ResultSpec(ResultTier.Error, s_errors[random.Next(s_errors.Length)], 0, []);
        }

        var tier = onlyTier ?? PickTier(random.NextDouble());
        var (moths, others) = tier switch
        {
            ResultTier.Empty => (0, 0),
            ResultTier.Small => (0, random.Next(1, 13)),
            ResultTier.Medium => (random.Next(1, 7), random.Next(0, 11)),
            _ => (random.Next(8, 16), random.Next(0, 15)),
        };

        var boxes = new HashSet<(double, double, double, double)>();
        var detections = new List<DetectionSpec>(moths + others);
        var isMoth = new bool[moths + others];
        for (var i = 0; i < moths; i++)
        {
            isMoth[i] = true;
        }

        Shuffle(random, isMoth);
        var detectTime = time.AddMilliseconds(200 + random.Next(300));
        foreach (var moth in isMoth)
        {
            var box = DrawBox(random, width, height, boxes);
            var score = moth ? 0.5 + (random.NextDouble() * 0.5) : random.NextDouble() * 0.5;
            var logit = Math.Log(Math.Max(score, 1e-9) / Math.Max(1 - score, 1e-9));
            var binaryTime = detectTime.AddMilliseconds(random.Next(50, 250));
            detections.Add(new DetectionSpec(
                box.Item1,
                box.Item2,
                box.Item3,
                box.Item4,
                Math.Round(0.05 + (random.NextDouble() * 0.3), 4),
                detectTime,
                score,
                logit / 2,
                -logit / 2,
                binaryTime,
                moth ? DrawSpecies(random, binaryTime.AddMilliseconds(random.Next(50, 250))) : null));
        }

        var totalTime = Math.Round(0.5 + (random.NextDouble() * 2), 3);
        return new ResultSpec(tier, null, totalTime, detections);
    }

    /// <summary>A stable 32-bit seed from the three inputs (System.HashCode is randomised per process).</summary>
    public static int Mix(int seed, int jobIndex, int imageIndex)
    {
        unchecked
        {
            var h = (ulong)(uint)seed * 0x9E3779B97F4A7C15UL;
            h ^= ((ulong)(uint)jobIndex + 0x632BE59BD9B4E019UL) * 0xBF58476D1CE4E5B9UL;
            h = (h ^ (h >> 31)) * 0x94D049BB133111EBUL;
            h ^= ((ulong)(uint)imageIndex + 0x2545F4914F6CDD1DUL) * 0xBF58476D1CE4E5B9UL;
            h ^= h >> 29;
            return (int)(h & 0x7FFFFFFF);
        }
    }

    private static ResultTier PickTier(double draw)
    {
        foreach (var (tier, share) in s_tiers)
        {
            if (draw < share)
            {
                return tier;
            }

            draw -= share;
        }

        return ResultTier.Large;
    }

    private static (double, double, double, double) DrawBox(Random random, int width, int height, HashSet<(double, double, double, double)> taken)
    {
        while (true)
        {
            var w = 40 + random.Next(Math.Max(1, Math.Min(320, width / 4)));
            var h = 40 + random.Next(Math.Max(1, Math.Min(320, height / 4)));
            var x1 = Math.Round(random.NextDouble() * Math.Max(1, width - w - 1), 1);
            var y1 = Math.Round(random.NextDouble() * Math.Max(1, height - h - 1), 1);
            var box = (x1, y1, Math.Round(x1 + w + random.NextDouble(), 1), Math.Round(y1 + h + random.NextDouble(), 1));
            if (taken.Add(box))
            {
                return box;
            }
        }
    }

    private SpeciesSpec DrawSpecies(Random random, DateTime timestamp)
    {
        // A few species are common (moth communities are long-tailed): square the draw.
        var u = random.NextDouble();
        var label = Math.Min(speciesLabels - 1, (int)(u * u * speciesLabels));
        var logits = new double[speciesLabels];
        for (var i = 0; i < logits.Length; i++)
        {
            logits[i] = Gaussian(random) * 1.5;
        }

        logits[label] = logits.Max() + 2 + (random.NextDouble() * 6);
        var max = logits[label];
        var scores = new double[speciesLabels];
        var sum = 0.0;
        for (var i = 0; i < scores.Length; i++)
        {
            scores[i] = Math.Exp(logits[i] - max);
            sum += scores[i];
        }

        for (var i = 0; i < scores.Length; i++)
        {
            scores[i] /= sum;
        }

        return new SpeciesSpec(label, scores, logits, timestamp);
    }

    private static double Gaussian(Random random)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    private static void Shuffle(Random random, bool[] values)
    {
        for (var i = values.Length - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }
}
