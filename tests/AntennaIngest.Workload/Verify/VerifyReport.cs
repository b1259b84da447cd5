namespace AntennaIngest.Workload.Verify;

/// <summary>The invariant checker's findings: one line per check, failed ones with details.</summary>
public sealed record VerifyReport(string Database, IReadOnlyList<CheckResult> Checks)
{
    public int Violations => Checks.Count(c => !c.Ok);

    public bool Ok => Violations == 0;

    public void Print(TextWriter writer)
    {
        foreach (var check in Checks)
        {
            writer.WriteLine($"{(check.Ok ? "PASS" : "FAIL")}  {check.Name}: {check.Detail}");
            foreach (var line in check.Examples)
            {
                writer.WriteLine($"        {line}");
            }
        }

        writer.WriteLine(Ok ? $"verify: all {Checks.Count} checks passed ({Database})" : $"verify: {Violations} of {Checks.Count} checks FAILED ({Database})");
    }
}

public sealed record CheckResult(string Name, bool Ok, string Detail, IReadOnlyList<string> Examples);
