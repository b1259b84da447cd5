namespace AntennaIngest.Core.Configuration;

/// <summary>
/// A setting that cannot be used. The message is the one line printed at start-up
/// ("VARIABLE: problem"); it never contains the value of a secret.
/// </summary>
public sealed class SettingsException(string variable, string problem) : Exception($"{variable}: {problem}")
{
    public string Variable { get; } = variable;

    public string Problem { get; } = problem;
}
