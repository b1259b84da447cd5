using System.Diagnostics;

namespace AntennaIngest.Workload.Enqueue;

/// <summary>
/// An open-loop schedule of evenly spaced slots at <paramref name="rate"/> per second, from the
/// first slot taken. Slots missed (the publisher was late) are taken at once, so the offered
/// rate holds over the run; with <paramref name="maxLag"/>, a publisher later than that starts
/// the schedule again from now instead, so it never bursts to catch up (the missed slots are
/// counted in <see cref="SlotsDropped"/>). One pacer shared by successive enqueuers continues one
/// schedule across them (the soak's rolling jobs).
/// </summary>
public sealed class Pacer(double rate, TimeSpan? maxLag = null)
{
    private readonly Lock _lock = new();
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Stopwatch? _clock;
    private long _slots;

    public double Rate => rate;

    /// <summary>Completes when the first slot is taken.</summary>
    public Task Started => _started.Task;

    public long SlotsDropped { get; private set; }

    public async Task WaitTurnAsync(CancellationToken cancellationToken)
    {
        TimeSpan due;
        lock (_lock)
        {
            _clock ??= Stopwatch.StartNew();
            due = TimeSpan.FromSeconds(_slots / rate) - _clock.Elapsed;
            if (maxLag is { } lag && -due > lag)
            {
                SlotsDropped += (long)(-due.TotalSeconds * rate);
                (_slots, due) = (0, TimeSpan.Zero);
                _clock.Restart();
            }

            _slots++;
        }

        _started.TrySetResult();
        if (due > TimeSpan.Zero)
        {
            await Task.Delay(due, cancellationToken);
        }
    }
}
