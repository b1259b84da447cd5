namespace AntennaIngest.Workload.Generation;

/// <summary>What a GPU worker found in one image, before it is written as JSON.</summary>
public sealed record ResultSpec(ResultTier Tier, string? Error, double TotalTime, IReadOnlyList<DetectionSpec> Detections)
{
    public bool IsError => Error is not null;

    public int ClassificationCount => Detections.Sum(d => d.Species is null ? 1 : 2);

    public int MothCount => Detections.Count(d => d.Species is not null);
}

/// <summary>Size classes of the measured payload mix (Antenna, 2026-03-26: 29 under 1 KB, 195 of 1–10 KB, 52 of 100 KB–1 MB, 22 over 1 MB).</summary>
public enum ResultTier
{
    Error,
    Empty,
    Small,
    Medium,
    Large,
}

/// <summary>
/// One detection: absolute-pixel box, the binary moth filter's output and, for moths, the species
/// classifier's full score and logit vectors (one value per label, as ADC sends them).
/// </summary>
public sealed record DetectionSpec(
    double X1,
    double Y1,
    double X2,
    double Y2,
    double InferenceTime,
    DateTime Timestamp,
    double MothScore,
    double MothLogit,
    double NonMothLogit,
    DateTime BinaryTimestamp,
    SpeciesSpec? Species);

public sealed record SpeciesSpec(int LabelIndex, double[] Scores, double[] Logits, DateTime Timestamp);
