using AntennaIngest.Core.Planning;

namespace AntennaIngest.UnitTests.Planning;

// Antenna's update_occurrence_determination (ami/main/models.py at 731cc2a2), case by case.
public sealed class DeterminationRulesTests
{
    private static PredictionCandidate<string> P(string? taxon, double? score, bool terminal, long order, long algorithm = 1) => new(taxon, score, terminal, order, algorithm);

    private static (bool Changed, string? Taxon, double? Score) Update(
        IdentificationState<string> identification, PredictionCandidate<string>[] predictions, string? current = null, double? currentScore = null)
    {
        var changed = DeterminationRules.TryUpdate(identification, predictions, current, currentScore, out var taxon, out var score);
        return (changed, taxon, score);
    }

    private static IdentificationState<string> None => default;

    [Fact]
    public void A_human_identification_that_differs_wins_with_its_score_of_one()
    {
        Assert.Equal((true, "human", 1.0), Update(new IdentificationState<string>(true, "human"), [P("model", 0.99, true, 1)], "model", 0.99));
    }

    [Fact]
    public void An_agreeing_human_identification_changes_nothing_not_even_the_score()
    {
        Assert.Equal((false, "human", 0.7), Update(new IdentificationState<string>(true, "human"), [P("model", 0.99, true, 1)], "human", 0.7));
    }

    [Fact]
    public void The_newest_identification_without_a_taxon_stops_the_search()
    {
        Assert.Equal((false, null, null), Update(new IdentificationState<string>(true, null), [P("model", 0.99, true, 1)]));
    }

    [Fact]
    public void Only_each_algorithms_top_score_is_ranked_then_terminal_first()
    {
        // Algorithm 1's terminal 0.5 is not its maximum (0.9), so algorithm 2's terminal 0.4 wins.
        var predictions = new[] { P("a", 0.9, false, 1, algorithm: 1), P("b", 0.5, true, 2, algorithm: 1), P("c", 0.4, true, 3, algorithm: 2) };
        Assert.Equal((true, "c", 0.4), Update(None, predictions));
    }

    [Fact]
    public void The_top_score_filter_is_not_per_algorithm_a_score_equal_to_any_maximum_passes()
    {
        // score IN (max per algorithm) is uncorrelated: algorithm 1's 0.5 equals algorithm 2's maximum.
        var predictions = new[] { P("x", 0.8, false, 1, algorithm: 1), P("y", 0.5, true, 2, algorithm: 1), P("z", 0.5, false, 3, algorithm: 2) };
        Assert.Equal((true, "y", 0.5), Update(None, predictions));
    }

    [Fact]
    public void Then_the_highest_score_and_on_a_tie_the_highest_id()
    {
        var predictions = new[] { P("a", 0.5, true, 7, 1), P("b", 0.8, true, 3, 2), P("c", 0.8, true, 5, 3), P("d", 0.8, true, 4, 4) };
        Assert.Equal((true, "c", 0.8), Update(None, predictions));
    }

    [Fact]
    public void The_score_moves_only_with_the_taxon()
    {
        Assert.Equal((false, "a", 0.6), Update(None, [P("a", 0.9, true, 1)], "a", 0.6));
    }

    [Fact]
    public void A_zero_score_changes_the_taxon_but_not_the_score()
    {
        // Antenna tests the new score for truth: 0.0 is never written.
        Assert.Equal((true, "b", 0.6), Update(None, [P("b", 0.0, true, 1)], "a", 0.6));
        Assert.Equal((true, "b", null), Update(None, [P("b", 0.0, true, 1)]));
    }

    [Fact]
    public void Without_a_scored_candidate_there_is_nothing_to_determine()
    {
        Assert.False(Update(None, []).Changed);
        Assert.False(Update(None, [P("a", null, true, 1)]).Changed);
        Assert.Equal((true, "b", 0.1), Update(None, [P("a", null, true, 9, 1), P("b", 0.1, false, 1, 2)]));
    }

    [Fact]
    public void A_best_classification_without_taxon_determines_nothing()
    {
        Assert.False(Update(None, [P(null, 0.9, true, 2, 1), P("a", 0.5, true, 1, 2)]).Changed);
    }
}
