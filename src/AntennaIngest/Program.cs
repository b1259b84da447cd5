using System.CommandLine;
using AntennaIngest.Cli;

// System.CommandLine's own Ctrl+C handling is off: `run` hands SIGTERM/SIGINT to the Generic
// Host, which drains in-flight work before exiting.
return await CommandLine.Build().Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
