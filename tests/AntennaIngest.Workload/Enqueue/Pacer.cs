using System.Diagnostics;

namespace AntennaIngest.Workload.Enqueue;

/// <summary>
/// An open-loop schedule of evenly spaced slots at <paramref name="rate"/> per second, from the
/// first slot taken. Slots missed (the publisher was late) are taken at once, so the offered
/// rate holds over the run. One pacer shared by successive enqueuers continues one schedule
/// across them (the soak's rolling jobs).
/// </summary>
public sealed class Pacer(double rate)
{
    private readonly Lock _lock = new();
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Stopwatch? _clock;
    private long _slots;

    public double Rate => rate;

    /// <summary>Completes when the first slot is taken.</summary>
    public Task Started => _started.Task;

    public async Task WaitTurnAsync(CancellationToken cancellationToken)
    {
        TimeSpan due;
        lock (_lock)
        {
            _clock ??= Stopwatch.StartNew();
            due = TimeSpan.FromSeconds(_slots++ / rate) - _clock.Elapsed;
        }

        _started.TrySetResult();
        if (due > TimeSpan.Zero)
        {
            await Task.Delay(due, cancellationToken);
        }
    }
}
