using Microsoft.Extensions.Logging;

namespace AntennaIngest.Hosting;

/// <summary>Log events of the executable (event ids 1000-1999).</summary>
internal static partial class Log
{
    [LoggerMessage(1000, LogLevel.Information, "antenna-ingest {Version} starting: intake {Intake}, in-flight {MaxInFlight}, database {Database} with {Connections} connections, redis {Redis}, nats {Nats}, broker {Broker}, GC conserve-memory {ConserveMemory}")]
    public static partial void Starting(ILogger logger, string version, string intake, int maxInFlight, string database, int connections, string redis, string nats, string broker, string conserveMemory);

    [LoggerMessage(1001, LogLevel.Information, "HTTP endpoints /healthz /readyz /metrics on {Prefix}")]
    public static partial void HttpListening(ILogger logger, string prefix);

    [LoggerMessage(1002, LogLevel.Warning, "HTTP endpoint request failed")]
    public static partial void HttpRequestFailed(ILogger logger, Exception exception);

    [LoggerMessage(1003, LogLevel.Error, "HTTP endpoints could not start on {Prefix}")]
    public static partial void HttpStartFailed(ILogger logger, string prefix, Exception exception);

    [LoggerMessage(1005, LogLevel.Critical, "not starting: {Dependency}: {Detail}; exit 3")]
    public static partial void CertificateRefused(ILogger logger, string dependency, string detail);

    [LoggerMessage(1004, LogLevel.Information, "stopped after draining; exit 0")]
    public static partial void Stopped(ILogger logger);
}
