using System.Buffers;
using System.Net.Sockets;
using System.Threading.Channels;

namespace AntennaIngest.Workload.Network;

/// <summary>
/// One direction of a proxied connection: reads chunks from one socket, passes them through the
/// scheduler (straight on when there is none) and writes them in order to the other socket.
/// Reading pauses while more than <see cref="MaxBufferedBytes"/> are read but not yet written,
/// so a slow receiver pushes back on its sender as TCP would, instead of growing a queue.
/// </summary>
internal sealed class DelayedDirection : IDelayedDelivery
{
    private const int ChunkBytes = 64 * 1024;

    // Far above what the delay holds in flight at loopback speeds (1 MB per 0.25 ms is 4 GB/s),
    // so the bound throttles only a stalled receiver, and 200 connections stay far below a GB.
    private const long MaxBufferedBytes = 1024 * 1024;

    private readonly DelayedConnection _connection;
    private readonly Socket _from;
    private readonly Socket _to;
    private readonly DelayScheduler? _scheduler;
    private readonly TrafficCounter _counter;
    // Synchronous continuations: a due chunk is sent by the scheduler thread itself when the
    // writer is idle and the socket has room (a non-blocking send), saving a thread-pool hop in
    // latency and CPU; a full socket makes the send asynchronous, so a slow receiver still holds
    // up only its own connection.
    private readonly Channel<Chunk> _ready = Channel.CreateUnbounded<Chunk>(new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = true });
    private readonly SemaphoreSlim _drained = new(0);
    private long _buffered;

    public DelayedDirection(DelayedConnection connection, Socket from, Socket to, DelayScheduler? scheduler, TrafficCounter counter)
    {
        _connection = connection;
        _from = from;
        _to = to;
        _scheduler = scheduler;
        _counter = counter;
    }

    public Task RunAsync() => Task.WhenAll(ReadAsync(), WriteAsync());

    /// <summary>Called by the scheduler thread when a chunk is due: hands it to the writer.</summary>
    public void Deliver(Chunk chunk)
    {
        if (!_ready.Writer.TryWrite(chunk))
        {
            chunk.Return(); // the connection was aborted
        }
    }

    /// <summary>Unblocks both loops after the connection's sockets were closed.</summary>
    public void Abort()
    {
        _ready.Writer.TryComplete();
        _drained.Release();
    }

    private void Forward(Chunk chunk)
    {
        if (_scheduler is null)
        {
            Deliver(chunk);
        }
        else
        {
            _scheduler.Schedule(this, chunk);
        }
    }

    private async Task ReadAsync()
    {
        try
        {
            var read = 0;
            while (!_connection.Aborted)
            {
                // A zero-byte read waits for data without holding a buffer, so idle connections
                // cost no memory; after a full chunk more is likely waiting, so it is skipped.
                if (read < ChunkBytes)
                {
                    await _from.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None);
                }

                var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
                read = await _from.ReceiveAsync(buffer, SocketFlags.None);
                if (read == 0)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    Forward(Chunk.EndOfStream); // the FIN travels with the same delay, after the data
                    return;
                }

                _counter.Add(read);
                Interlocked.Add(ref _buffered, read);
                Forward(new Chunk(buffer, read));
                while (Volatile.Read(ref _buffered) >= MaxBufferedBytes && !_connection.Aborted)
                {
                    await _drained.WaitAsync();
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            _connection.Abort();
        }
    }

    private async Task WriteAsync()
    {
        try
        {
            await foreach (var chunk in _ready.Reader.ReadAllAsync())
            {
                if (chunk.IsEndOfStream)
                {
                    _to.Shutdown(SocketShutdown.Send);
                    return;
                }

                try
                {
                    for (var sent = 0; sent < chunk.Length;)
                    {
                        sent += await _to.SendAsync(chunk.Buffer.AsMemory(sent, chunk.Length - sent), SocketFlags.None);
                    }
                }
                finally
                {
                    chunk.Return();
                }

                var after = Interlocked.Add(ref _buffered, -chunk.Length);
                if (after < MaxBufferedBytes && after + chunk.Length >= MaxBufferedBytes)
                {
                    _drained.Release();
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            _connection.Abort();
        }
    }
}
