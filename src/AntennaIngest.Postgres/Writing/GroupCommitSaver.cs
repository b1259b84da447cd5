using System.Threading.Channels;
using AntennaIngest.Core.Configuration;
using AntennaIngest.Core.Processing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AntennaIngest.Postgres.Writing;

/// <summary>
/// <see cref="IResultSaver"/> with group commit: callers enqueue, W = max(1, connections − 1)
/// writer loops each take whatever is pending (up to <see cref="DatabaseSettings.GroupMaxResults"/>
/// results and a vector-size budget) and write it as one transaction, so under load a result
/// costs well under one round trip. Results of one image that land in one group are applied in
/// queue order; across groups the images' advisory locks serialize them.
/// </summary>
public sealed partial class GroupCommitSaver : BackgroundService, IResultSaver
{
    /// <summary>Score/logit bytes above which a group is closed early (the server holds them in memory).</summary>
    public const long MaxGroupVectorBytes = 64L * 1024 * 1024;

    private readonly ResultWriter _writer;
    private readonly ILogger<GroupCommitSaver> _logger;
    private readonly Channel<Pending> _queue;
    private readonly int _groupMax;

    public GroupCommitSaver(ResultWriter writer, DatabaseSettings settings, ILogger<GroupCommitSaver> logger)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _writer = writer;
        _logger = logger;
        Writers = Math.Max(1, settings.Connections - 1);
        _groupMax = Math.Max(1, settings.GroupMaxResults);
        _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(_groupMax * Writers)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleWriter = false,
            SingleReader = false,
        });
    }

    /// <summary>Writer loops (each holds at most one connection at a time).</summary>
    public int Writers { get; }

    public async ValueTask<SaveOutcome> SaveAsync(SaveRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var pending = new Pending(request);
        await _queue.Writer.WriteAsync(pending, cancellationToken);
        return await pending.Completion.Task.WaitAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var loops = new Task[Writers];
        for (var i = 0; i < loops.Length; i++)
        {
            loops[i] = WriteLoopAsync(stoppingToken);
        }

        await Task.WhenAll(loops);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);

        // Nobody writes what is still queued: its callers retry (the message is not acked).
        while (_queue.Reader.TryRead(out var pending))
        {
            pending.Completion.TrySetException(new DependencyUnavailableException("postgres", "the result writer is stopping"));
        }
    }

    private async Task WriteLoopAsync(CancellationToken stoppingToken)
    {
        var group = new List<Pending>(_groupMax);
        var requests = new List<SaveRequest>(_groupMax);
        while (true)
        {
            try
            {
                if (!await _queue.Reader.WaitToReadAsync(stoppingToken))
                {
                    return;
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }

            group.Clear();
            requests.Clear();
            long bytes = 0;
            while (group.Count < _groupMax && bytes < MaxGroupVectorBytes && _queue.Reader.TryRead(out var pending))
            {
                group.Add(pending);
                requests.Add(pending.Request);
                bytes += pending.VectorBytes;
            }

            if (group.Count > 0)
            {
                await WriteGroupAsync(group, requests);
            }
        }
    }

    // A group in progress is finished even when stopping: its callers are waiting for it.
    private async Task WriteGroupAsync(List<Pending> group, List<SaveRequest> requests)
    {
        try
        {
            var outcomes = await _writer.WriteAsync(requests, CancellationToken.None);
            for (var i = 0; i < group.Count; i++)
            {
                group[i].Completion.TrySetResult(outcomes[i]);
            }
        }
        catch (Exception e)
        {
            if (e is not DependencyUnavailableException)
            {
                Log.GroupError(_logger, group.Count, e);
            }

            foreach (var pending in group)
            {
                pending.Completion.TrySetException(e);
            }
        }
    }

    private sealed class Pending(SaveRequest request)
    {
        public SaveRequest Request { get; } = request;

        public TaskCompletionSource<SaveOutcome> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public long VectorBytes { get; } = CountVectorBytes(request);

        private static long CountVectorBytes(SaveRequest request)
        {
            long bytes = 0;
            foreach (var detection in request.Results.Detections)
            {
                foreach (var classification in detection.Classifications)
                {
                    bytes += (classification.Scores.Length + (classification.Logits?.Length ?? 0)) * sizeof(double);
                }
            }

            return bytes;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(3310, LogLevel.Error, "writing a group of {Count} results failed")]
        public static partial void GroupError(ILogger logger, int count, Exception exception);
    }
}
