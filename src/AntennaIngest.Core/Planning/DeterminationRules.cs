namespace AntennaIngest.Core.Planning;

/// <summary>
/// Antenna's update_occurrence_determination, as a pure rule over an occurrence's final state:
/// the newest non-withdrawn human identification with a taxon wins with score 1.0; otherwise the
/// best classification over all detections of the occurrence, ordered terminal first, then by
/// score, then by id (newest wins; Antenna leaves that tie to the database). Classifications
/// without a score are never chosen (Antenna's per-algorithm-maximum filter drops them).
/// </summary>
public static class DeterminationRules
{
    /// <summary>The score Antenna gives human identifications.</summary>
    public const double HumanScore = 1.0;

    /// <summary>The determination the occurrence should have; false when nothing determines it (leave it as it is).</summary>
    public static bool TryChoose<TTaxon>(TTaxon? identificationTaxon, IEnumerable<PredictionCandidate<TTaxon>> predictions, out TTaxon taxon, out double score)
        where TTaxon : class
    {
        ArgumentNullException.ThrowIfNull(predictions);
        if (identificationTaxon is not null)
        {
            taxon = identificationTaxon;
            score = HumanScore;
            return true;
        }

        PredictionCandidate<TTaxon>? best = null;
        foreach (var candidate in predictions)
        {
            if (candidate.Score is null)
            {
                continue;
            }

            if (best is not { } current || IsBetter(candidate, current))
            {
                best = candidate;
            }
        }

        if (best is { Taxon: not null } chosen)
        {
            taxon = chosen.Taxon;
            score = chosen.Score!.Value;
            return true;
        }

        taxon = null!;
        score = 0;
        return false;
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
