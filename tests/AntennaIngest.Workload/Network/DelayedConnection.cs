using System.Net.Sockets;

namespace AntennaIngest.Workload.Network;

/// <summary>
/// A client connection accepted by a <see cref="DelayProxy"/> and its upstream connection. With
/// a delay, set-up takes one added round trip, as a TCP handshake over that network would: the
/// upstream connect starts one one-way delay after the accept and the client is read from one
/// more delay later. Ends when both directions have delivered their FIN, or at once (with a
/// reset to both sides) when either side fails.
/// </summary>
internal sealed class DelayedConnection
{
    private readonly Socket _client;
    private readonly Socket _server = new(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
    private readonly DelayedDirection _toServer;
    private readonly DelayedDirection _toClient;
    private int _aborted;

    public DelayedConnection(Socket client, DelayScheduler? scheduler, TrafficCounter toServer, TrafficCounter toClient)
    {
        _client = client;
        _client.NoDelay = true; // Nagle would add its own delay to small requests
        _toServer = new DelayedDirection(this, _client, _server, scheduler, toServer);
        _toClient = new DelayedDirection(this, _server, _client, scheduler, toClient);
    }

    public bool Aborted => Volatile.Read(ref _aborted) != 0;

    public async Task RunAsync(string host, int port, DelayScheduler? scheduler, CancellationToken cancellationToken)
    {
        try
        {
            if (scheduler is not null)
            {
                await scheduler.HopAsync(); // the SYN reaches the server
            }

            await _server.ConnectAsync(host, port, cancellationToken);
            if (scheduler is not null)
            {
                await scheduler.HopAsync(); // the SYN-ACK reaches the client, which may speak now
            }

            await Task.WhenAll(_toServer.RunAsync(), _toClient.RunAsync());
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            Abort();
        }
        finally
        {
            _client.Dispose();
            _server.Dispose();
        }
    }

    /// <summary>Closes both sockets with a reset, as a failed TCP connection would, and ends both directions.</summary>
    public void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) != 0)
        {
            return;
        }

        foreach (var socket in new[] { _client, _server })
        {
            try
            {
                socket.LingerState = new LingerOption(true, 0);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }

            socket.Dispose();
        }

        _toServer.Abort();
        _toClient.Abort();
    }
}
