using System.Diagnostics;

namespace AntennaIngest.Workload.Measure;

/// <summary>
/// One `SHOW …` on pgbouncer's admin console, through psql: the console speaks only the simple
/// query protocol. Rows are tab-separated with a header line first.
/// </summary>
internal static class PgbouncerConsole
{
    /// <summary>The output lines, or null when psql failed. Throws Win32Exception when there is no psql.</summary>
    public static async Task<string[]?> ShowAsync(string adminUrl, string what, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("psql", [adminUrl, "-X", "-A", "-F", "\t", "-c", $"SHOW {what}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["PGCONNECT_TIMEOUT"] = "3";
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return process.ExitCode == 0 ? output.Split('\n', StringSplitOptions.RemoveEmptyEntries) : null;
    }
}
