using System.CommandLine;
using AntennaIngest.Hosting;

namespace AntennaIngest.Cli;

/// <summary>The command tree. Every command has --help; the root has --version.</summary>
internal static class CommandLine
{
    public static RootCommand Build()
    {
        var root = new RootCommand(
            "antenna-ingest: processes Antenna's ML pipeline results (Celery queue ml_results and/or a JetStream stream) " +
            "into Antenna's PostgreSQL schema, Redis job state and NATS task acks.\n" +
            "Configuration comes from environment variables; `antenna-ingest settings` lists them.");

        var run = new Command("run", "Start the configured intakes and process results until SIGTERM/SIGINT; then drain and exit 0.");
        run.SetAction((_, cancellationToken) => IngestApplication.RunAsync(cancellationToken));

        var check = new Command("check", "Connect to PostgreSQL, Redis, NATS and RabbitMQ, verify Antenna's tables and columns; one line each, exit 1 on any problem, 2 on a bad setting.");
        check.SetAction((_, cancellationToken) => CheckCommand.RunAsync(Console.Out, Console.Error, cancellationToken));

        var settings = new Command("settings", "List every environment variable with its default and effect (secrets are not printed).");
        var markdown = new Option<bool>("--markdown") { Description = "Print the table as Markdown (docs/operations.md is generated from it)." };
        settings.Options.Add(markdown);
        settings.SetAction(parse => SettingsCommand.Run(Console.Out, parse.GetValue(markdown)));

        var healthcheck = new Command("healthcheck", "GET /healthz (or --path) of the instance running on this host; exit 0 when it answers 200. For container HEALTHCHECKs (no shell needed).");
        var path = new Option<string>("--path") { Description = "Endpoint to check, e.g. /readyz.", DefaultValueFactory = _ => "/healthz" };
        healthcheck.Options.Add(path);
        healthcheck.SetAction((parse, cancellationToken) => HealthcheckCommand.RunAsync(parse.GetValue(path)!, Console.Out, Console.Error, cancellationToken));

        var crops = new Command("crops", "Make the detection crops that are missing (Antenna's create_missing_detection_images); ends when none is left.");
        var missing = new Option<bool>("--missing") { Description = "Crop every detection with a box and no path.", Required = true };
        var project = new Option<long?>("--project") { Description = "Only images of this project." };
        crops.Options.Add(missing);
        crops.Options.Add(project);
        crops.SetAction((parse, cancellationToken) => CropsCommand.RunAsync(parse.GetValue(project), Console.Out, Console.Error, cancellationToken));

        root.Subcommands.Add(run);
        root.Subcommands.Add(check);
        root.Subcommands.Add(settings);
        root.Subcommands.Add(healthcheck);
        root.Subcommands.Add(crops);
        return root;
    }
}
