using AntennaIngest.Core.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AntennaIngest.Hosting;

/// <summary>Registers the processing pipeline: intakes, processors, sinks and background writers.</summary>
internal static class PipelineComposition
{
    public static void Add(IServiceCollection services, IngestSettings settings)
    {
        _ = services;
        _ = settings;
    }
}
