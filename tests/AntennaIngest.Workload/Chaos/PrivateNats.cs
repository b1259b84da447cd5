using System.Diagnostics;
using System.Globalization;
using AntennaIngest.Testing;

namespace AntennaIngest.Workload.Chaos;

/// <summary>
/// A nats-server of a scenario's own that speaks only TLS (tls://) with a user and password:
/// nats-server 2.9 cannot serve TLS and plain clients on one port, so the shared one stays plain
/// and the scenario's world (its job streams, tasks and acks) lives on this one.
/// </summary>
public sealed class PrivateNats : IAsyncDisposable
{
    private readonly Process _process;

    private PrivateNats(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public static async Task<PrivateNats> StartAsync(string directory, string tlsDirectory, string user, string password)
    {
        Directory.CreateDirectory(Path.Combine(directory, "jetstream"));
        var port = LoopbackPorts.Free();
        var monitor = LoopbackPorts.Free();
        var config = Path.Combine(directory, "nats.conf");
        await File.WriteAllTextAsync(config, string.Create(CultureInfo.InvariantCulture, $$"""
            listen: 127.0.0.1:{{port}}
            http: 127.0.0.1:{{monitor}}
            max_payload: 64MB
            jetstream { store_dir: "{{Path.Combine(directory, "jetstream")}}" }
            tls {
              cert_file: "{{Path.Combine(tlsDirectory, "server.pem")}}"
              key_file: "{{Path.Combine(tlsDirectory, "server.key")}}"
              timeout: 5
            }
            authorization { user: "{{user}}", password: "{{password}}" }
            """));
        var process = Process.Start(new ProcessStartInfo("nats-server", ["-c", config, "-l", Path.Combine(directory, "nats.log")]) { UseShellExecute = false })!;
        var nats = new PrivateNats(process, port);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var ready = await ChaosWorld.WaitAsync(
            async () =>
            {
                try
                {
                    return (await http.GetAsync(new Uri($"http://127.0.0.1:{monitor}/healthz?js-enabled-only=true"))).IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            },
            TimeSpan.FromSeconds(30));
        if (!ready)
        {
            await nats.DisposeAsync();
            throw new InvalidOperationException($"nats-server with TLS did not start; see {directory}/nats.log");
        }

        return nats;
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
