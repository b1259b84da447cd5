namespace AntennaIngest.Core.Configuration;

/// <summary>One environment variable the binary reads: its default and what it changes.</summary>
public sealed record SettingDefinition(string Name, string Default, string Effect, bool Secret = false);
