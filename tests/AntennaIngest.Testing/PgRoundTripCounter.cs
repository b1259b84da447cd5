using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace AntennaIngest.Testing;

/// <summary>
/// A loopback TCP proxy in front of PostgreSQL or pgbouncer that counts client round trips by
/// reading the frontend protocol: each Sync ('S', extended protocol) and each simple Query ('Q')
/// ends one request the client waits on. Independent of the client library, so it measures
/// Npgsql and psycopg2 the same way. Point a connection string at <see cref="Port"/>.
/// </summary>
public sealed class PgRoundTripCounter : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _upstreamHost;
    private readonly int _upstreamPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _connections = [];
    private readonly Task _acceptLoop;
    private long _roundTrips;
    private long _connectionsOpened;

    public PgRoundTripCounter(string upstreamHost, int upstreamPort)
    {
        _upstreamHost = upstreamHost;
        _upstreamPort = upstreamPort;
        _listener.Start();
        _acceptLoop = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public long RoundTrips => Interlocked.Read(ref _roundTrips);

    public long ConnectionsOpened => Interlocked.Read(ref _connectionsOpened);

    public void Reset() => Interlocked.Exchange(ref _roundTrips, 0);

    /// <summary>The URL <paramref name="url"/> rewritten to go through this proxy.</summary>
    public string Through(string url) => new UriBuilder(url) { Host = "127.0.0.1", Port = Port }.Uri.ToString();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _acceptLoop;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        Task[] open;
        lock (_connections)
        {
            open = [.. _connections];
        }

        await Task.WhenAll(open.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            Interlocked.Increment(ref _connectionsOpened);
            lock (_connections)
            {
                _connections.RemoveAll(t => t.IsCompleted);
                _connections.Add(RelayAsync(client));
            }
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using var upstream = new TcpClient();
        using (client)
        {
            try
            {
                await upstream.ConnectAsync(_upstreamHost, _upstreamPort, _stop.Token);
                var toServer = CountFrontendAsync(client.GetStream(), upstream.GetStream());
                var toClient = upstream.GetStream().CopyToAsync(client.GetStream(), _stop.Token);
                await Task.WhenAny(toServer, toClient);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
        }
    }

    // Frontend stream: untyped startup packets (length first), then typed messages (type byte,
    // int32 length including itself). Each message is forwarded in one write: pgbouncer refuses
    // a startup packet that arrives in pieces.
    private async Task CountFrontendAsync(Stream client, Stream server)
    {
        var buffer = new byte[64 * 1024];
        while (true)
        {
            // SSLRequest and GSSENCRequest (code 80877103/80877104) are answered 'N' by the local
            // servers and followed by the real startup packet.
            if (!await ReadExactlyAsync(client, buffer.AsMemory(0, 8)))
            {
                return;
            }

            var length = BinaryPrimitives.ReadInt32BigEndian(buffer);
            var code = BinaryPrimitives.ReadInt32BigEndian(buffer.AsSpan(4));
            buffer = await ForwardAsync(client, server, buffer, 8, length);
            if (code is not (80877103 or 80877104))
            {
                break;
            }
        }

        while (await ReadExactlyAsync(client, buffer.AsMemory(0, 5)))
        {
            if ((char)buffer[0] is 'S' or 'Q')
            {
                Interlocked.Increment(ref _roundTrips);
            }

            buffer = await ForwardAsync(client, server, buffer, 5, 1 + BinaryPrimitives.ReadInt32BigEndian(buffer.AsSpan(1)));
        }
    }

    /// <summary>Reads the rest of a message whose first <paramref name="have"/> bytes are in the buffer and writes it whole.</summary>
    private async Task<byte[]> ForwardAsync(Stream from, Stream to, byte[] buffer, int have, int total)
    {
        if (total > buffer.Length)
        {
            Array.Resize(ref buffer, total);
        }

        if (total > have && !await ReadExactlyAsync(from, buffer.AsMemory(have, total - have)))
        {
            throw new IOException("client closed mid-message");
        }

        await to.WriteAsync(buffer.AsMemory(0, total), _stop.Token);
        return buffer;
    }

    private async Task<bool> ReadExactlyAsync(Stream stream, Memory<byte> into)
    {
        var total = 0;
        while (total < into.Length)
        {
            var read = await stream.ReadAsync(into[total..], _stop.Token);
            if (read == 0)
            {
                return false;
            }

            total += read;
        }

        return true;
    }
}
