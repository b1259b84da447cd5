using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AntennaIngest.Workload.Summary;

namespace AntennaIngest.UnitTests.Docs;

/// <summary>
/// The benchmark tables in README.md and the prefork-vs-gevent answer are generated from a
/// committed summary.json; editing a number by hand (or committing new results without
/// regenerating) fails here.
/// </summary>
public sealed partial class GeneratedBenchmarkTablesTests
{
    [Theory]
    [InlineData("README.md")]
    [InlineData("docs/benchmarks/prefork-vs-gevent.md")]
    public void The_benchmark_section_is_what_its_summary_json_renders(string document)
    {
        var root = OperationsDocTests.Root;
        var path = Path.Combine(root, document);
        var text = File.ReadAllText(path);
        var begin = text.IndexOf(ReadmeSection.Begin, StringComparison.Ordinal);
        var end = text.IndexOf(ReadmeSection.End, StringComparison.Ordinal);
        Assert.True(begin >= 0 && end > begin, $"{document} has no generated benchmark section");
        var section = text[(begin + ReadmeSection.Begin.Length + 1)..end];

        var source = SummaryLink().Match(section);
        Assert.True(source.Success, $"{document}: the generated section names no summary.md");
        var resultsDir = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, source.Groups[1].Value));
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(resultsDir, "summary.json")))!;

        Assert.Equal(ReadmeSection.Render(summary, source.Groups[1].Value), section);
    }

    [GeneratedRegex(@"\]\(([^)]*?)/summary\.md\)")]
    private static partial Regex SummaryLink();
}
