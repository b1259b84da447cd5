using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace AntennaIngest.Workload.Network;

/// <summary>
/// A loopback TCP proxy whose link can be cut, for partition scenarios: <see cref="Blackhole"/>
/// stops forwarding in both directions while connections stay open and new ones are accepted
/// but go nowhere (a partition that drops packets: nothing arrives, nothing fails at once);
/// <see cref="Reset"/> ends every established connection with a TCP RST; <see cref="Restore"/>
/// forwards again, held bytes first. For HTTP services: <see cref="Answer"/> has the proxy itself
/// answer each new connection's request (a 503 from an overloaded store) and <see cref="Slow"/>
/// holds every chunk of the answers for a while (a store that answers slowly).
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Link, byte> _links = new();
    private readonly Lock _gateLock = new();
    private readonly Task _acceptLoop;
    private TaskCompletionSource _open = Opened();
    private volatile byte[]? _answer;
    private long _slowTicks;

    public FaultProxy(string targetHost, int targetPort)
    {
        _targetHost = targetHost;
        _targetPort = targetPort;
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(256);
        _acceptLoop = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

    /// <summary>Stops forwarding (idempotent).</summary>
    public void Blackhole()
    {
        lock (_gateLock)
        {
            if (_open.Task.IsCompleted)
            {
                _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    /// <summary>Forwards again (idempotent).</summary>
    public void Restore()
    {
        lock (_gateLock)
        {
            _open.TrySetResult();
        }
    }

    /// <summary>
    /// New connections get <paramref name="response"/> (a whole HTTP response, sent once the
    /// request's head has arrived, then the connection closes) instead of the service; null forwards
    /// again. Established connections are left alone: <see cref="Reset"/> them to make clients reconnect.
    /// </summary>
    public void Answer(byte[]? response) => _answer = response;

    /// <summary>Holds each chunk the service sends back for <paramref name="delay"/> (zero: no longer).</summary>
    public void Slow(TimeSpan delay) => Interlocked.Exchange(ref _slowTicks, delay.Ticks);

    /// <summary>Resets every established connection in both directions; returns how many.</summary>
    public int Reset()
    {
        var count = 0;
        foreach (var link in _links.Keys)
        {
            link.Abort();
            count++;
        }

        return count;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Close();
        Reset();
        Restore();
        try
        {
            await _acceptLoop;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private static TaskCompletionSource Opened()
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        open.SetResult();
        return open;
    }

    private Task WaitOpenAsync()
    {
        lock (_gateLock)
        {
            return _open.Task.WaitAsync(_stop.Token);
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptAsync(_stop.Token);
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(Socket client)
    {
        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.NoDelay = true;
        var link = new Link(client, server);
        _links.TryAdd(link, 0);
        try
        {
            if (_answer is { } answer)
            {
                await AnswerAsync(client, answer);
                return;
            }

            await WaitOpenAsync();
            await server.ConnectAsync(_targetHost, _targetPort, _stop.Token);
            await Task.WhenAll(PumpAsync(client, server, answers: false), PumpAsync(server, client, answers: true));
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException or IOException)
        {
        }
        finally
        {
            _links.TryRemove(link, out _);
            link.Abort();
        }
    }

    // Reads the request head (to its blank line, or 64 KiB), sends the canned response, closes.
    private async Task AnswerAsync(Socket client, byte[] response)
    {
        var head = new byte[64 * 1024];
        var length = 0;
        while (length < head.Length && head.AsSpan(0, length).IndexOf("\r\n\r\n"u8) < 0)
        {
            var read = await client.ReceiveAsync(head.AsMemory(length), SocketFlags.None, _stop.Token);
            if (read == 0)
            {
                return;
            }

            length += read;
        }

        await client.SendAsync(response, SocketFlags.None, _stop.Token);
        client.Shutdown(SocketShutdown.Both);
    }

    private async Task PumpAsync(Socket from, Socket to, bool answers)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (read == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                await WaitOpenAsync();
                if (answers && Interlocked.Read(ref _slowTicks) is > 0 and var slow)
                {
                    await Task.Delay(TimeSpan.FromTicks(slow), _stop.Token);
                }

                for (var sent = 0; sent < read;)
                {
                    sent += await to.SendAsync(buffer.AsMemory(sent, read - sent), SocketFlags.None, _stop.Token);
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // A reset or close on one side ends the other direction too.
            Link.Abort(from);
            Link.Abort(to);
        }
    }

    /// <summary>A client connection and its connection to the target.</summary>
    private sealed class Link(Socket client, Socket server)
    {
        public void Abort()
        {
            Abort(client);
            Abort(server);
        }

        // Linger 0: closing sends RST, as a middlebox resetting the flow does.
        public static void Abort(Socket socket)
        {
            try
            {
                socket.LingerState = new LingerOption(true, 0);
                socket.Close();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }
        }
    }
}
