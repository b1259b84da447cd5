using System.Globalization;
using System.Net.Sockets;
using System.Text;
using AntennaIngest.Core.Health;
using AntennaIngest.Core.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AntennaIngest.Hosting;

/// <summary>
/// sd_notify for `Type=notify` units: READY=1 once every intake consumes and the dependencies are
/// connected, WATCHDOG=1 every half `WatchdogSec` while the process is healthy, STATUS= with
/// counts, STOPPING=1 on shutdown. "Healthy" means not stalled, or stalled only because a
/// dependency is down (a restart would not help then). Without NOTIFY_SOCKET it does nothing.
/// </summary>
internal sealed partial class SystemdNotifier(Readiness readiness, IngestMetrics metrics, ILogger<SystemdNotifier> logger) : BackgroundService
{
    private readonly string? _socketPath = Environment.GetEnvironmentVariable("NOTIFY_SOCKET");

    public static TimeSpan? WatchdogInterval()
    {
        var usec = Environment.GetEnvironmentVariable("WATCHDOG_USEC");
        var pid = Environment.GetEnvironmentVariable("WATCHDOG_PID");
        if (!long.TryParse(usec, NumberStyles.None, CultureInfo.InvariantCulture, out var microseconds) || microseconds <= 0)
        {
            return null;
        }

        // WATCHDOG_PID, when set, names the process the watchdog is meant for.
        if (pid is not null && pid != Environment.ProcessId.ToString(CultureInfo.InvariantCulture))
        {
            return null;
        }

        return TimeSpan.FromTicks(microseconds * 10 / 2);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (string.IsNullOrEmpty(_socketPath))
        {
            return;
        }

        using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        var endpoint = new UnixDomainSocketEndPoint(_socketPath.StartsWith('@') ? "\0" + _socketPath[1..] : _socketPath);
        var watchdog = WatchdogInterval();
        var tick = watchdog is { } interval && interval < TimeSpan.FromSeconds(1) ? interval : TimeSpan.FromSeconds(1);
        var ready = false;
        var lastWatchdog = DateTime.MinValue;
        using var timer = new PeriodicTimer(tick);
        try
        {
            do
            {
                var messages = new StringBuilder();
                if (!ready && readiness.IsReady)
                {
                    ready = true;
                    messages.Append("READY=1\n");
                    Log.Ready(logger);
                }

                if (watchdog is { } every && DateTime.UtcNow - lastWatchdog >= every && Healthy())
                {
                    lastWatchdog = DateTime.UtcNow;
                    messages.Append("WATCHDOG=1\n");
                }

                messages.Append(CultureInfo.InvariantCulture, $"STATUS={Status(ready)}\n");
                Send(socket, endpoint, messages.ToString());
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException)
        {
        }

        Send(socket, endpoint, "STOPPING=1\nSTATUS=draining in-flight work\n");
    }

    private bool Healthy()
    {
        if (metrics.Stalled.Value() < 1)
        {
            return true;
        }

        // Stalled: restarting helps only if every dependency is up (something is wedged here).
        return readiness.Snapshot().Any(component => !component.Ready);
    }

    private string Status(bool ready)
    {
        var inFlight = metrics.InFlight.Value();
        return ready
            ? string.Create(CultureInfo.InvariantCulture, $"processing: {inFlight:0} in flight")
            : "waiting for dependencies: " + string.Join(", ", readiness.Snapshot().Where(c => !c.Ready).Select(c => c.Name));
    }

    private void Send(Socket socket, UnixDomainSocketEndPoint endpoint, string message)
    {
        try
        {
            socket.SendTo(Encoding.UTF8.GetBytes(message), endpoint);
        }
        catch (SocketException e)
        {
            Log.NotifyFailed(logger, e);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1010, LogLevel.Information, "told systemd READY=1: intakes consuming, dependencies connected")]
        public static partial void Ready(ILogger logger);

        [LoggerMessage(1011, LogLevel.Warning, "sd_notify failed")]
        public static partial void NotifyFailed(ILogger logger, Exception exception);
    }
}
