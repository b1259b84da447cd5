using System.Text.Json;
using AntennaIngest.Workload.Cli;
using AntennaIngest.Workload.Enqueue;
using AntennaIngest.Workload.Setup;

namespace AntennaIngest.Workload.Verify;

/// <summary>`verify`: exit 0 when every invariant holds, 1 with a readable report otherwise.</summary>
public static class VerifyCommand
{
    public const string Usage = "verify --manifest FILE --expectations FILE [--acks FILE (reply subjects seen acked, one per line or first column)] [--json FILE]";

    public static async Task<int> RunAsync(Options options)
    {
        var manifest = Manifest.Load(options.Required("manifest"));
        var expectations = EnqueueCommand.Load(options.Required("expectations"));
        var acksPath = options.Get("acks");
        var jsonPath = options.Get("json");
        options.EnsureAllRead();
        var acks = acksPath is null ? null : ReadAcks(acksPath);
        var report = await new Verifier(manifest, expectations, acks).RunAsync(CancellationToken.None);
        report.Print(Console.Out);
        if (jsonPath is not null)
        {
            await File.WriteAllBytesAsync(jsonPath, JsonSerializer.SerializeToUtf8Bytes(report, WorkloadJson.Default.VerifyReport));
        }

        return report.Ok ? 0 : 1;
    }

    public static HashSet<string> ReadAcks(string path) =>
        File.ReadLines(path)
            .Select(l => l.Split('\t'))
            .Where(c => c[0].StartsWith("$JS.ACK.", StringComparison.Ordinal) && (c.Length < 3 || c[2].Length > 0))
            .Select(c => c[0])
            .ToHashSet(StringComparer.Ordinal);
}
