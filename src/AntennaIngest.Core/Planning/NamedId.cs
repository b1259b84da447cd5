namespace AntennaIngest.Core.Planning;

/// <summary>The id of a row created by name (taxon, taxa list, category map) after its lock: created now, or found.</summary>
public readonly record struct NamedId(long Id, bool Created);
