using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using AntennaIngest.Workload.Cli;
using AntennaIngest.Workload.Setup;

namespace AntennaIngest.Workload.Network;

/// <summary>
/// `delay-proxy`: one <see cref="DelayProxy"/> per target in this process, until SIGINT/SIGTERM
/// (or, with --until-stdin-closes, until the parent closes stdin, so that a crashed `measure`
/// leaves no proxy behind). Prints `listening NAME PORT TARGET` per proxy, then `ready`; on
/// stop, `stats {json}` with its CPU seconds since ready and each proxy's traffic.
/// </summary>
public static class DelayProxyCommand
{
    public const string Usage =
        """
        delay-proxy --delay-ms 0.5 (round trip added; each direction gets half) --targets NAME=HOST:PORT[,NAME=HOST:PORT…]
                [--listen-port 0 (with one target)] [--until-stdin-closes]
        """;

    public static async Task<int> RunAsync(Options options)
    {
        var addedRttMs = options.Fraction("delay-ms", 0);
        var targets = options.Required("targets").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var listenPort = options.Number("listen-port", 0);
        var untilStdinCloses = options.Flag("until-stdin-closes");
        options.EnsureAllRead();
        if (listenPort != 0 && targets.Length != 1)
        {
            throw new UsageException("--listen-port needs exactly one target");
        }

        await DelayProxyWarmUp.RunAsync();

        // What the warm-up left is collected now, not in a pause that would delay the run's chunks.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var proxies = new List<DelayProxy>();
        foreach (var target in targets)
        {
            var (name, hostPort) = target.Split('=', 2) is [var n, var hp] ? (n, hp) : throw new UsageException($"target '{target}' is not NAME=HOST:PORT");
            var colon = hostPort.LastIndexOf(':');
            var proxy = new DelayProxy(name, hostPort[..colon], int.Parse(hostPort[(colon + 1)..], CultureInfo.InvariantCulture), addedRttMs, listenPort);
            proxies.Add(proxy);
            Console.WriteLine($"listening {name} {proxy.Port} {proxy.Target}");
        }

        using var stop = new CancellationTokenSource();
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }

        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        var cpuAtReady = Process.GetCurrentProcess().TotalProcessorTime;
        Console.WriteLine("ready");
        Console.Out.Flush();

        var stdinClosed = untilStdinCloses ? WaitForEndOfInputAsync() : Task.Delay(Timeout.Infinite, stop.Token);
        await Task.WhenAny(stdinClosed, Task.Delay(Timeout.Infinite, stop.Token)).ContinueWith(_ => { }, TaskScheduler.Default);

        var stats = proxies.Select(p => p.Stats()).ToList();
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuAtReady).TotalSeconds;

        // The report first: the contender is gone, and a connection that does not wind down must
        // not cost the run its numbers. Closing is bounded for the same reason.
        Console.WriteLine("stats " + JsonSerializer.Serialize(new DelayProxyReport(cpu, stats), WorkloadJson.Default.DelayProxyReport).ReplaceLineEndings(string.Empty));
        Console.Out.Flush();
        var closing = Task.WhenAll(proxies.Select(p => p.DisposeAsync().AsTask()));
        await Task.WhenAny(closing, Task.Delay(TimeSpan.FromSeconds(3)));
        return 0;
    }

    private static async Task WaitForEndOfInputAsync()
    {
        await using var input = Console.OpenStandardInput();
        var buffer = new byte[256];
        while (await input.ReadAsync(buffer) > 0)
        {
        }
    }
}
