namespace AntennaIngest.Core.Planning;

/// <summary>One classification of an occurrence's detections, as the determination rule sees it.</summary>
/// <param name="Order">Sorts like the row id: later rows win ties (new rows sort after existing ones).</param>
public readonly record struct PredictionCandidate<TTaxon>(TTaxon? Taxon, double? Score, bool Terminal, long Order, long? AlgorithmId)
    where TTaxon : class;
