using AntennaIngest.Core.Configuration;

namespace AntennaIngest.Cli;

/// <summary>`antenna-ingest settings`: every variable, its default, and whether it is set (secrets hidden).</summary>
internal static class SettingsCommand
{
    public static int Run(TextWriter output, bool markdown)
    {
        if (markdown)
        {
            output.WriteLine("| variable | default | effect |");
            output.WriteLine("|---|---|---|");
            foreach (var definition in SettingsCatalog.All)
            {
                var shown = definition.Default.Length == 0 ? "(empty)" : Quote(definition.Default);
                output.WriteLine($"| `{definition.Name}` | `{shown}` | {definition.Effect}{(definition.Secret ? " *(secret: never logged)*" : string.Empty)} |");
            }

            return ExitCodes.Ok;
        }

        foreach (var definition in SettingsCatalog.All)
        {
            var value = Environment.GetEnvironmentVariable(definition.Name);
            var shown = value is null ? "(default)" : definition.Secret ? "(set, hidden)" : value;
            output.WriteLine($"{definition.Name,-32} default {Quote(definition.Default),-55} now {shown}");
            output.WriteLine($"{string.Empty,-32} {definition.Effect}");
        }

        return ExitCodes.Ok;
    }

    private static string Quote(string text) =>
        text.Length == 0 ? "(empty)" : Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.UserInfo.Length > 0 ? ConnectionUrls.Redact(uri) : text;
}
