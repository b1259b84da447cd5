namespace AntennaIngest.Workload.Summary;

/// <summary>Mean and a two-sided 95 % confidence interval (Student's t) over repeated runs.</summary>
public sealed record Estimate(int N, double Mean, double Low, double High, double StandardDeviation, IReadOnlyList<double> Values)
{
    public static readonly Estimate None = new(0, 0, 0, 0, 0, []);

    public static Estimate Of(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
        {
            return None;
        }

        var mean = values.Average();
        if (values.Count == 1)
        {
            return new Estimate(1, mean, mean, mean, 0, values);
        }

        var sd = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
        var half = TQuantile975(values.Count - 1) * sd / Math.Sqrt(values.Count);
        return new Estimate(values.Count, mean, mean - half, mean + half, sd, values);
    }

    /// <summary>
    /// The ratio of two means with a conservative interval: the lower bound divides this interval's
    /// low by the other's high, the upper bound the reverse (no normality assumed for the ratio).
    /// </summary>
    public Estimate RatioTo(Estimate other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (N == 0 || other.N == 0 || other.Mean <= 0)
        {
            return None;
        }

        var low = other.High > 0 ? Math.Max(0, Low) / other.High : 0;
        var high = other.Low > 0 ? High / other.Low : double.PositiveInfinity;
        return new Estimate(Math.Min(N, other.N), Mean / other.Mean, low, high, 0, []);
    }

    // Student's t, two-sided 95 %, by degrees of freedom (1..30); beyond that the normal 1.96.
    private static readonly double[] s_t975 =
    [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
        2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
        2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    ];

    public static double TQuantile975(int degreesOfFreedom) =>
        degreesOfFreedom < 1 ? double.NaN : degreesOfFreedom <= s_t975.Length ? s_t975[degreesOfFreedom - 1] : 1.96;
}
