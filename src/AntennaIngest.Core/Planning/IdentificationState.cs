namespace AntennaIngest.Core.Planning;

/// <summary>
/// An occurrence's newest non-withdrawn human identification: none (<c>default</c>), or one whose
/// taxon may be unset (Antenna then stops looking and keeps the determination).
/// </summary>
public readonly record struct IdentificationState<TTaxon>(bool Exists, TTaxon? Taxon)
    where TTaxon : class;
