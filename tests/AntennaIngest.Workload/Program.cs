using AntennaIngest.Workload.Cli;
using AntennaIngest.Workload.Copy;
using AntennaIngest.Workload.Enqueue;
using AntennaIngest.Workload.Measure;
using AntennaIngest.Workload.Report;
using AntennaIngest.Workload.Setup;
using AntennaIngest.Workload.Verify;

var usage =
    $"""
    antenna-workload: Antenna-shaped workload for the antenna-ingest demo and benchmark.
    Services come from the environment `scripts/services.sh env` prints.

      {SetupCommand.Usage}
      {ServeCommand.Usage}
      {EnqueueCommand.Usage}
      {VerifyCommand.Usage}
      {MeasureCommand.Usage}
      {AntennaIngest.Workload.Network.DelayProxyCommand.Usage}
      {CopyCommand.Usage}
      {ReportCommand.Usage}
      {AntennaIngest.Workload.Summary.SummarizeCommand.Usage}
      {AntennaIngest.Workload.Summary.ReadmeSection.Usage}
      {CleanupCommand.Usage}
      {AntennaIngest.Workload.Chaos.ChaosCommand.Usage}
    """;

if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
{
    Console.WriteLine(usage);
    return args.Length == 0 ? 2 : 0;
}

try
{
    var options = new Options(args.Skip(1));
    return args[0] switch
    {
        "setup" => await SetupCommand.RunAsync(options),
        "serve" => await ServeCommand.RunAsync(options),
        "enqueue" => await EnqueueCommand.RunAsync(options),
        "verify" => await VerifyCommand.RunAsync(options),
        "measure" => await MeasureCommand.RunAsync(options),
        "delay-proxy" => await AntennaIngest.Workload.Network.DelayProxyCommand.RunAsync(options),
        "copy" => await CopyCommand.RunAsync(options),
        "report" => await ReportCommand.RunAsync(options),
        "summarize" => await AntennaIngest.Workload.Summary.SummarizeCommand.RunAsync(options),
        "readme" => await AntennaIngest.Workload.Summary.ReadmeSection.RunAsync(options),
        "cleanup" => await CleanupCommand.RunAsync(options),
        "chaos" => await AntennaIngest.Workload.Chaos.ChaosCommand.RunAsync(options),
        _ => throw new UsageException($"unknown command '{args[0]}'"),
    };
}
catch (UsageException e)
{
    await Console.Error.WriteLineAsync($"antenna-workload: {e.Message}\n\n{usage}");
    return 2;
}
