using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using AntennaIngest.Workload.Setup;

namespace AntennaIngest.Workload.Network;

/// <summary>
/// This tool's `delay-proxy` command run as a child process: its CPU is then its own (the report
/// shows it), its threads do not share a garbage collector with the measuring side, and as root
/// it runs at nice -5 so that the delay stays close to the configured one while the contender
/// saturates both cores (a real network costs the host no CPU at all).
/// </summary>
public sealed class DelayProxyProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Dictionary<string, int> _ports;

    private DelayProxyProcess(Process process, Dictionary<string, int> ports)
    {
        _process = process;
        _ports = ports;
    }

    public static async Task<DelayProxyProcess> StartAsync(double addedRttMs, IReadOnlyList<(string Name, string Host, int Port)> targets)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("no path to this executable");
        var arguments = new List<string>();
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            arguments.Add(typeof(DelayProxyProcess).Assembly.Location);
        }

        arguments.AddRange(["delay-proxy", "--until-stdin-closes", "--delay-ms", addedRttMs.ToString(CultureInfo.InvariantCulture), "--targets", string.Join(',', targets.Select(t => $"{t.Name}={t.Host}:{t.Port}"))]);
        var start = Environment.IsPrivilegedProcess ? new ProcessStartInfo("nice", ["-n", "-5", self, .. arguments]) : new ProcessStartInfo(self, arguments);

        // Socket continuations run on the epoll threads instead of hopping to the thread pool:
        // every continuation here only hands data on, and the hop cost the proxy a third of its
        // CPU per chunk (measured with redis-benchmark through it).
        start.Environment["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"] = "1";

        // Without tiering every method is compiled once, optimized, at its first call (during the
        // warm-up) instead of being recompiled in the background while the contender runs: the
        // background JIT was over half of the proxy's CPU in a quick run.
        start.Environment["DOTNET_TieredCompilation"] = "0";
        start.RedirectStandardInput = true;
        start.RedirectStandardOutput = true;
        start.UseShellExecute = false;
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the delay proxy");

        var ports = new Dictionary<string, int>(StringComparer.Ordinal);
        while (await process.StandardOutput.ReadLineAsync() is { } line && line != "ready")
        {
            if (line.Split(' ') is ["listening", var name, var port, ..])
            {
                ports[name] = int.Parse(port, CultureInfo.InvariantCulture);
            }
        }

        if (ports.Count != targets.Count)
        {
            process.Kill();
            throw new InvalidOperationException("the delay proxy did not start (see its error above)");
        }

        return new DelayProxyProcess(process, ports);
    }

    public int Pid => _process.Id;

    /// <summary>The URL pointed at the proxy in front of service <paramref name="name"/>.</summary>
    public string Through(string name, string url) => ServiceUrl.WithLoopbackPort(url, _ports[name]);

    /// <summary>Closes the proxy's stdin, which stops it, and reads the report it prints.</summary>
    public async Task<DelayProxyReport> StopAsync()
    {
        _process.StandardInput.Close();
        DelayProxyReport? report = null;
        while (await _process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("stats ", StringComparison.Ordinal))
            {
                report = JsonSerializer.Deserialize(line["stats ".Length..], WorkloadJson.Default.DelayProxyReport);
                break;
            }
        }

        // The proxy exits within 3 s of printing its report; a process that does not is ended.
        using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            try
            {
                await _process.WaitForExitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }

        return report ?? throw new InvalidOperationException($"the delay proxy exited with {_process.ExitCode} without its report");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
