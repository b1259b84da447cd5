namespace AntennaIngest.Core.Planning;

/// <summary>
/// Antenna's update_occurrence_determination (ami/main/models.py at 731cc2a2) as a pure rule:
/// <list type="bullet">
/// <item>With a human identification (the newest non-withdrawn one), only it counts: its taxon and
/// score 1.0 when it names a taxon other than the current one; nothing changes when it agrees or
/// names no taxon (predictions are not looked at).</item>
/// <item>Otherwise the best prediction: among the classifications whose score equals some
/// algorithm's maximum (Antenna's uncorrelated <c>score IN (max per algorithm)</c>), terminal
/// first, then by score; ties go to the newest row (Antenna leaves them to the database).</item>
/// <item>The score moves only with the taxon, and only to a truthy score (0.0 is never written).</item>
/// </list>
/// </summary>
public static class DeterminationRules
{
    /// <summary>Identification.score: always 1.0 for humans.</summary>
    public const double HumanScore = 1.0;

    /// <summary>The determination after the rule: true when taxon or score changed.</summary>
    public static bool TryUpdate<TTaxon>(
        IdentificationState<TTaxon> identification,
        IEnumerable<PredictionCandidate<TTaxon>> predictions,
        TTaxon? current,
        double? currentScore,
        out TTaxon? taxon,
        out double? score)
        where TTaxon : class
    {
        ArgumentNullException.ThrowIfNull(predictions);
        taxon = current;
        score = currentScore;
        TTaxon? chosen;
        double? chosenScore;
        if (identification.Exists)
        {
            (chosen, chosenScore) = (identification.Taxon, HumanScore);
        }
        else if (BestPrediction(predictions) is { } best)
        {
            (chosen, chosenScore) = (best.Taxon, best.Score);
        }
        else
        {
            return false;
        }

        if (chosen is null || ReferenceEquals(chosen, current))
        {
            return false;
        }

        taxon = chosen;
        if (chosenScore is { } s && s != 0)
        {
            score = s;
        }

        return true;
    }

    private static PredictionCandidate<TTaxon>? BestPrediction<TTaxon>(IEnumerable<PredictionCandidate<TTaxon>> predictions)
        where TTaxon : class
    {
        var all = predictions.Where(p => p.Score is not null).ToList();
        var maxima = all.GroupBy(p => p.AlgorithmId).Select(g => g.Max(p => p.Score!.Value)).ToHashSet();
        PredictionCandidate<TTaxon>? best = null;
        foreach (var candidate in all)
        {
            if (maxima.Contains(candidate.Score!.Value) && (best is not { } current || IsBetter(candidate, current)))
            {
                best = candidate;
            }
        }

        return best;
    }

    private static bool IsBetter<TTaxon>(PredictionCandidate<TTaxon> candidate, PredictionCandidate<TTaxon> current)
        where TTaxon : class
    {
        if (candidate.Terminal != current.Terminal)
        {
            return candidate.Terminal;
        }

        var byScore = candidate.Score!.Value.CompareTo(current.Score!.Value);
        return byScore != 0 ? byScore > 0 : candidate.Order > current.Order;
    }
}
