using System.Net;
using System.Net.Sockets;

namespace AntennaIngest.Workload.Network;

/// <summary>
/// Pushes traffic through a throw-away proxy to a throw-away echo socket before `delay-proxy`
/// reports ready: the forwarding path is then compiled (and tiered up) before the contender's
/// first byte, so neither the JIT's CPU nor its pauses land in the measured run.
/// </summary>
internal static class DelayProxyWarmUp
{
    public static async Task RunAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var echo = EchoOneConnectionAsync(listener);
        await using (var proxy = new DelayProxy("warm-up", "127.0.0.1", ((IPEndPoint)listener.LocalEndPoint!).Port, addedRoundTripMs: 0.05))
        {
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, proxy.Port));
            var buffer = new byte[256 * 1024];
            for (var i = 0; i < 500; i++)
            {
                await client.SendAsync(buffer.AsMemory(0, 1), SocketFlags.None);
                await client.ReceiveAsync(buffer.AsMemory(0, 1), SocketFlags.None);
            }

            // One message of several chunks, then the half-close path.
            var send = client.SendAsync(buffer, SocketFlags.None);
            for (var received = 0; received < buffer.Length;)
            {
                received += await client.ReceiveAsync(buffer.AsMemory(received), SocketFlags.None);
            }

            await send;
            client.Shutdown(SocketShutdown.Send);
            while (await client.ReceiveAsync(buffer, SocketFlags.None) > 0)
            {
            }
        }

        await echo;

        // Methods called often enough are recompiled optimized in the background after a short delay.
        await Task.Delay(500);
    }

    private static async Task EchoOneConnectionAsync(Socket listener)
    {
        using var connection = await listener.AcceptAsync();
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await connection.ReceiveAsync(buffer, SocketFlags.None)) > 0)
        {
            await connection.SendAsync(buffer.AsMemory(0, read), SocketFlags.None);
        }

        connection.Shutdown(SocketShutdown.Send);
    }
}
