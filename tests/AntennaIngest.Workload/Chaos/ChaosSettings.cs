namespace AntennaIngest.Workload.Chaos;

/// <summary>Options of `antenna-workload chaos`.</summary>
public sealed record ChaosSettings(
    string Out,
    string Binary,
    int Seed,
    int SpeciesLabels,
    string ImageBaseUrl,
    string ImagesDir,
    string ServicesScript,
    bool Quick,
    bool Keep,
    int KillsPerPoint,
    int Images);

/// <summary>One row of the chaos table.</summary>
public sealed record ScenarioResult(
    string Scenario,
    int Runs,
    int Results,
    long Lost,
    long Duplicated,
    long Stuck,
    double? MaxRecoverySeconds,
    bool Ok,
    string Notes);
