namespace AntennaIngest.Workload.Network;

/// <summary>Receives what <see cref="DelayScheduler"/> releases; must not block (it runs on the scheduler thread).</summary>
internal interface IDelayedDelivery
{
    void Deliver(Chunk chunk);
}

/// <summary>
/// Holds every chunk a proxy forwards for a fixed delay on one dedicated thread. The delay is the
/// same for all, so due times are monotonic in arrival order and one FIFO queue suffices: the
/// thread sleeps (absolute clock_nanosleep) until the head is due, releases every due chunk in
/// order, and blocks on a monitor while the queue is empty. No timer per chunk, and no spinning
/// beyond the last few µs of a wake-up that came early (<see cref="WakeAt"/>).
/// Deliveries only hand the chunk on (a channel write, and a non-blocking send when the writer is
/// idle), so one slow receiver delays no one else.
/// </summary>
internal sealed class DelayScheduler : IDisposable
{
    private readonly Queue<(long Due, IDelayedDelivery Target, Chunk Chunk)> _queue = new();
    private readonly object _gate = new(); // an object, not a Lock: the idle thread waits on it with Monitor.Wait
    private readonly long _delayNanoseconds;
    private readonly Thread _thread;
    private readonly LatenessHistogram _lateness = new();
    private const long MaxSpinNanoseconds = 30_000;
    private long _wakeEarlyNanoseconds;
    private bool _idle;
    private bool _stopped;

    public DelayScheduler(long delayNanoseconds, string name)
    {
        _delayNanoseconds = delayNanoseconds;
        _thread = new Thread(Run) { IsBackground = true, Name = $"delay {name}", Priority = ThreadPriority.AboveNormal };
        _thread.Start();
    }

    /// <summary>How late chunks left the queue after their due time.</summary>
    public LatenessHistogram Lateness => _lateness;

    public void Schedule(IDelayedDelivery target, Chunk chunk)
    {
        lock (_gate)
        {
            // The clock is read under the lock so that queue order and due order agree.
            _queue.Enqueue((LinuxTime.NowNanoseconds() + _delayNanoseconds, target, chunk));
            if (_idle)
            {
                Monitor.Pulse(_gate);
            }
        }
    }

    /// <summary>Completes one delay from now: one leg of an emulated TCP handshake.</summary>
    public Task HopAsync()
    {
        var hop = new Hop();
        Schedule(hop, Chunk.EndOfStream);
        return hop.Done.Task;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _stopped = true;
            Monitor.Pulse(_gate);
        }

        // Bounded like the proxy's own close: a scheduler thread stuck in a delivery must not keep
        // a test or a benchmark run waiting; it is a background thread and dies with the process.
        if (!_thread.Join(TimeSpan.FromSeconds(5)))
        {
            Console.Error.WriteLine($"delay proxy: the scheduler thread '{_thread.Name}' did not stop within 5 s");
        }
    }

    /// <summary>
    /// Sleeps until <paramref name="due"/>, never returning before it. The wake-up itself takes
    /// tens of µs (more in a VM), which would add to every delay, so the sleep ends early by the
    /// recent overshoot and a wake that comes a little early waits out the rest: sleeping again
    /// when more than <see cref="MaxSpinNanoseconds"/> remain, else spinning on the clock.
    /// </summary>
    private long WakeAt(long due)
    {
        var target = due - _wakeEarlyNanoseconds;
        LinuxTime.SleepUntil(target);
        var now = LinuxTime.NowNanoseconds();

        // Moving average of how late the sleep ended (1/8 weight), kept between 0 and 200 µs.
        var overshoot = Math.Clamp(now - target, 0, 200_000);
        _wakeEarlyNanoseconds += (overshoot - _wakeEarlyNanoseconds) / 8;
        if (due - now > MaxSpinNanoseconds)
        {
            LinuxTime.SleepUntil(due);
            now = LinuxTime.NowNanoseconds();
        }

        while (now < due)
        {
            Thread.SpinWait(20);
            now = LinuxTime.NowNanoseconds();
        }

        return now;
    }

    private void Run()
    {
        LinuxTime.TightenTimerSlack();
        var due = new List<(long Due, IDelayedDelivery Target, Chunk Chunk)>();
        while (true)
        {
            long headDue;
            lock (_gate)
            {
                while (_queue.Count == 0 && !_stopped)
                {
                    _idle = true;
                    Monitor.Wait(_gate);
                    _idle = false;
                }

                if (_stopped)
                {
                    return;
                }

                headDue = _queue.Peek().Due;
            }

            // Later arrivals are due later, so nothing can need waking before the head.
            var now = WakeAt(headDue);
            lock (_gate)
            {
                while (_queue.TryPeek(out var next) && next.Due <= now)
                {
                    due.Add(_queue.Dequeue());
                }
            }

            foreach (var (dueAt, target, chunk) in due)
            {
                _lateness.Add(now - dueAt);
                target.Deliver(chunk);
            }

            due.Clear();
        }
    }

    private sealed class Hop : IDelayedDelivery
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Deliver(Chunk chunk) => Done.TrySetResult();
    }
}
