namespace AntennaIngest.Core.Health;

/// <summary>One line of `antenna-ingest check`: a dependency and what is wrong with it, if anything.</summary>
public sealed record DependencyStatus(string Name, bool Ok, string Detail);
