using AntennaIngest.Core.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace AntennaIngest.Hosting;

/// <summary>Console logging: one line per event, human-readable or JSON (INGEST_LOG_FORMAT).</summary>
internal static class LoggingSetup
{
    public static void Configure(ILoggingBuilder logging, LoggingSettings settings)
    {
        logging.ClearProviders();
        logging.SetMinimumLevel(Enum.Parse<LogLevel>(settings.MinimumLevel));
        // Client libraries are chatty at Information (the Redis client writes some forty lines per
        // reconnect); their warnings and errors still show.
        logging.AddFilter("NATS", LogLevel.Warning);
        logging.AddFilter("Npgsql", LogLevel.Warning);
        logging.AddFilter("StackExchange.Redis", LogLevel.Warning);
        if (settings.Format == LogFormat.Json)
        {
            logging.AddJsonConsole(options =>
            {
                options.IncludeScopes = false;
                options.UseUtcTimestamp = true;
                options.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        }
        else
        {
            logging.AddSimpleConsole(options =>
            {
                options.SingleLine = true;
                options.IncludeScopes = false;
                options.UseUtcTimestamp = true;
                options.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            });
        }
    }
}
