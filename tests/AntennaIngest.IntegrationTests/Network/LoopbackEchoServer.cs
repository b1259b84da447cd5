using System.Net;
using System.Net.Sockets;

namespace AntennaIngest.IntegrationTests.Network;

/// <summary>A loopback TCP server that writes back whatever it reads and half-closes after the client does.</summary>
public sealed class LoopbackEchoServer : IAsyncDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly Task _acceptLoop;

    public LoopbackEchoServer()
    {
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(1024);
        _acceptLoop = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

    public async ValueTask DisposeAsync()
    {
        _listener.Dispose();
        try
        {
            await _acceptLoop.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task AcceptAsync()
    {
        while (true)
        {
            var client = await _listener.AcceptAsync();
            _ = EchoAsync(client);
        }
    }

    private static async Task EchoAsync(Socket client)
    {
        using (client)
        {
            client.NoDelay = true;
            var buffer = new byte[64 * 1024];
            try
            {
                int read;
                while ((read = await client.ReceiveAsync(buffer, SocketFlags.None)) > 0)
                {
                    await client.SendAsync(buffer.AsMemory(0, read), SocketFlags.None);
                }

                client.Shutdown(SocketShutdown.Send);
            }
            catch (SocketException)
            {
            }
        }
    }
}
