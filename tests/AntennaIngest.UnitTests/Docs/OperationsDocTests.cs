using System.Text.RegularExpressions;
using AntennaIngest.Core.Configuration;
using AntennaIngest.Core.Metrics;

namespace AntennaIngest.UnitTests.Docs;

/// <summary>docs/operations.md must name every setting (with its default), every metric series and every log event id.</summary>
public sealed partial class OperationsDocTests
{
    private static readonly string s_root = FindRoot();

    /// <summary>The repository's root (where antenna-ingest-aot.sln is).</summary>
    internal static string Root => s_root;
    private static readonly string s_doc = File.ReadAllText(Path.Combine(s_root, "docs", "operations.md"));

    [Fact]
    public void Every_setting_is_documented_with_its_default()
    {
        var rows = s_doc.Split('\n').Where(line => line.StartsWith("| `", StringComparison.Ordinal)).ToList();
        var missing = SettingsCatalog.All
            .Where(setting => !rows.Any(row => row.StartsWith($"| `{setting.Name}` |", StringComparison.Ordinal)
                && (setting.Secret || row.Contains($"`{(setting.Default.Length == 0 ? "(empty)" : setting.Default)}`", StringComparison.Ordinal))))
            .Select(setting => setting.Name)
            .ToList();
        Assert.True(SettingsCatalog.All.Count > 30);
        Assert.Empty(missing);
    }

    [Fact]
    public void Every_metric_series_is_documented()
    {
        var registry = new MetricsRegistry();
        _ = new IngestMetrics(registry);
        var names = MetricType().Matches(registry.Render()).Select(m => m.Groups[1].Value).ToList();
        Assert.True(names.Count > 10);
        var undocumented = names.Where(name => !s_doc.Contains($"| `{name}` |", StringComparison.Ordinal)).ToList();
        Assert.Empty(undocumented);
    }

    [Fact]
    public void Every_log_event_is_documented()
    {
        var ids = Directory.EnumerateFiles(Path.Combine(s_root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(path => LoggerMessageId().Matches(File.ReadAllText(path)).Select(m => m.Groups[1].Value))
            .ToList();
        Assert.True(ids.Count > 30);
        var undocumented = ids.Where(id => !s_doc.Contains($"| {id} |", StringComparison.Ordinal)).ToList();
        Assert.Empty(undocumented);
    }

    private static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(directory!.FullName, "antenna-ingest-aot.sln")))
        {
            directory = directory.Parent;
        }

        return directory.FullName;
    }

    [GeneratedRegex(@"^# TYPE (\S+) ", RegexOptions.Multiline)]
    private static partial Regex MetricType();

    [GeneratedRegex(@"\[LoggerMessage\((\d+),")]
    private static partial Regex LoggerMessageId();
}
