using AntennaIngest.Core.Planning;

namespace AntennaIngest.UnitTests.Planning;

public sealed class DeterminationRulesTests
{
    private static PredictionCandidate<string> P(string? taxon, double? score, bool terminal, long order) => new(taxon, score, terminal, order);

    [Fact]
    public void A_human_identification_wins_with_score_one()
    {
        Assert.True(DeterminationRules.TryChoose("human", [P("model", 0.99, true, 1)], out var taxon, out var score));
        Assert.Equal(("human", 1.0), (taxon, score));
    }

    [Fact]
    public void Terminal_classifications_come_before_higher_scores()
    {
        Assert.True(DeterminationRules.TryChoose(null, [P("binary", 0.99, false, 1), P("species", 0.4, true, 2), P("other", 0.3, true, 3)], out var taxon, out var score));
        Assert.Equal(("species", 0.4), (taxon, score));
    }

    [Fact]
    public void Then_the_highest_score_and_on_a_tie_the_highest_id()
    {
        Assert.True(DeterminationRules.TryChoose(null, [P("a", 0.5, true, 7), P("b", 0.8, true, 3), P("c", 0.8, true, 5), P("d", 0.8, true, 4)], out var taxon, out _));
        Assert.Equal("c", taxon);
    }

    [Fact]
    public void Without_a_scored_candidate_there_is_nothing_to_determine()
    {
        Assert.False(DeterminationRules.TryChoose<string>(null, [], out _, out _));
        Assert.False(DeterminationRules.TryChoose(null, [P("a", null, true, 1)], out _, out _));
        Assert.True(DeterminationRules.TryChoose(null, [P("a", null, true, 9), P("b", 0.1, false, 1)], out var taxon, out _));
        Assert.Equal("b", taxon);
    }

    [Fact]
    public void A_best_classification_without_taxon_determines_nothing()
    {
        Assert.False(DeterminationRules.TryChoose(null, [P(null, 0.9, true, 2), P("a", 0.5, true, 1)], out _, out _));
    }
}
