using AntennaIngest.Core.Configuration;
using AntennaIngest.Core.Processing;
using Microsoft.Extensions.Logging;

namespace AntennaIngest.UnitTests.Processing;

public sealed class CountRefresherTests
{
    [Fact]
    public void The_backoff_doubles_per_failure_up_to_its_bound()
    {
        var interval = TimeSpan.FromMilliseconds(100);

        Assert.Equal(TimeSpan.FromMilliseconds(200), CountRefresher.Backoff(interval, 1));
        Assert.Equal(TimeSpan.FromMilliseconds(800), CountRefresher.Backoff(interval, 3));
        Assert.Equal(CountRefresher.MaxBackoff, CountRefresher.Backoff(interval, 5));
        Assert.Equal(CountRefresher.MaxBackoff, CountRefresher.Backoff(interval, int.MaxValue));
    }

    // Before the backoff, a PostgreSQL restart made the loop retry at once: 1,480 warnings in 12 s.
    [Fact]
    public async Task A_database_outage_is_retried_with_backoff_logged_once_and_its_end_logged()
    {
        var counts = new DownCounts(failures: 4);
        var log = new CollectingLogger();
        using var refresher = new CountRefresher(new OneDirtyEvent(), counts, Settings(TimeSpan.FromMilliseconds(20)), log);

        await refresher.StartAsync(CancellationToken.None);
        await counts.Succeeded.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await refresher.StopAsync(CancellationToken.None);

        // 20 ms doubled per failure: at least 40, 80, 160 and 320 ms between the five attempts (a
        // lower bound only: a loaded machine makes the gaps longer, never shorter).
        Assert.Equal(5, counts.Attempts);
        var gaps = counts.AttemptTimes.Zip(counts.AttemptTimes.Skip(1), (a, b) => b - a).ToList();
        Assert.All(gaps.Zip([40.0, 80, 160, 320]), g => Assert.True(g.First.TotalMilliseconds >= g.Second * 0.9, $"{g.First.TotalMilliseconds:F0} ms between attempts, backoff {g.Second} ms"));
        Assert.Single(log.Lines, l => l.Contains("recounting events/deployments failed", StringComparison.Ordinal));
        Assert.Single(log.Lines, l => l.Contains("works again after 4 failed attempts", StringComparison.Ordinal));
    }

    private static DatabaseSettings Settings(TimeSpan interval) =>
        new("Host=unused", "unused", 1, false, "UTC", 100, interval, TimeSpan.FromSeconds(1), true);

    /// <summary>One dirty event until it has been recounted.</summary>
    private sealed class OneDirtyEvent : IDirtyCountSource
    {
        private bool _done;

        public ValueTask<DirtyBatch> TakeAsync(DirtyKind kind, int limit, CancellationToken cancellationToken) =>
            ValueTask.FromResult(new DirtyBatch(kind, 0, kind == DirtyKind.Events && !_done ? [1L] : []));

        public ValueTask CompleteAsync(DirtyBatch batch, CancellationToken cancellationToken)
        {
            _done = true;
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>The database is down for the first <c>failures</c> attempts.</summary>
    private sealed class DownCounts(int failures) : ICalculatedCounts
    {
        private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();

        public int Attempts { get; private set; }

        public List<TimeSpan> AttemptTimes { get; } = [];

        public TaskCompletionSource Succeeded { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ValueTask RefreshEventsAsync(IReadOnlyList<long> eventIds, CancellationToken cancellationToken)
        {
            AttemptTimes.Add(_clock.Elapsed);
            if (++Attempts <= failures)
            {
                throw new DependencyUnavailableException("postgres", "08P01: server login has been failing");
            }

            Succeeded.TrySetResult();
            return ValueTask.CompletedTask;
        }

        public ValueTask RefreshDeploymentsAsync(IReadOnlyList<long> deploymentIds, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    private sealed class CollectingLogger : ILogger<CountRefresher>
    {
        private readonly List<string> _lines = [];

        public IReadOnlyList<string> Lines
        {
            get
            {
                lock (_lines)
                {
                    return [.. _lines];
                }
            }
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                lock (_lines)
                {
                    _lines.Add(formatter(state, exception));
                }
            }
        }
    }
}
