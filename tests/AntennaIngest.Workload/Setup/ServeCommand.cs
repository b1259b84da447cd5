using AntennaIngest.Workload.Cli;

namespace AntennaIngest.Workload.Setup;

/// <summary>`serve`: the image server in the foreground until SIGTERM/SIGINT.</summary>
public static class ServeCommand
{
    public const string Usage = "serve --images-dir DIR [--port 58480] [--seed 1 (draws the pool if missing)]";

    public static async Task<int> RunAsync(Options options)
    {
        var directory = options.Required("images-dir");
        var port = options.Number("port", 58480);
        var seed = options.Number("seed", 1);
        options.EnsureAllRead();
        ImagePool.Ensure(directory, seed);
        using var stop = new CancellationTokenSource();
        using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c =>
        {
            c.Cancel = true;
            stop.Cancel();
        });
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        await using var server = new ImageServer(directory, port);
        Console.WriteLine($"serve: http://127.0.0.1:{port}/ ({ImagePool.Sizes.Length} pool images from {directory})");
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
        }

        Console.WriteLine($"serve: stopped after {server.Served} images served");
        return 0;
    }
}
