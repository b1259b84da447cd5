using AntennaIngest.Core.Processing;
using Microsoft.Extensions.Logging.Abstractions;

namespace AntennaIngest.UnitTests.Processing;

public sealed class OutageGateTests
{
    [Fact]
    public async Task A_dependency_that_answers_is_no_outage()
    {
        var probe = new CountingProbe(downFor: 0);
        var gate = new OutageGate(probe, NullLogger.Instance);

        Assert.False(await gate.WaitOutAsync("postgres", CancellationToken.None));
        Assert.Equal(1, probe.Calls);
    }

    [Fact]
    public async Task Callers_during_an_outage_share_one_probe_loop_and_learn_it_was_an_outage()
    {
        var probe = new CountingProbe(downFor: 2);
        var gate = new OutageGate(probe, NullLogger.Instance);

        var waits = Enumerable.Range(0, 50).Select(_ => gate.WaitOutAsync("postgres", CancellationToken.None)).ToList();
        var outcomes = await Task.WhenAll(waits).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.All(outcomes, Assert.True);
        Assert.Equal(3, probe.Calls); // down, down, up: once for all 50 waiters

        // The outage is over: the next failure probes afresh.
        Assert.False(await gate.WaitOutAsync("postgres", CancellationToken.None));
        Assert.Equal(4, probe.Calls);
    }

    [Fact]
    public async Task A_probe_that_throws_counts_as_down_and_cancellation_ends_the_wait()
    {
        var gate = new OutageGate(new ThrowingProbe(), NullLogger.Instance);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(1500));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gate.WaitOutAsync("redis", cancel.Token));
    }

    private sealed class CountingProbe(int downFor) : IDependencyProbe
    {
        private int _calls;

        public int Calls => _calls;

        public ValueTask<bool> IsAvailableAsync(string dependency, CancellationToken cancellationToken) =>
            ValueTask.FromResult(Interlocked.Increment(ref _calls) > downFor);
    }

    private sealed class ThrowingProbe : IDependencyProbe
    {
        public ValueTask<bool> IsAvailableAsync(string dependency, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("connection refused");
    }
}
