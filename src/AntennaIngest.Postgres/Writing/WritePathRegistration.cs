using AntennaIngest.Core.Configuration;
using AntennaIngest.Core.Processing;
using AntennaIngest.Postgres.Counts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace AntennaIngest.Postgres.Writing;

/// <summary>
/// The Postgres write path: <see cref="IResultSaver"/> (group commit, a hosted service) and
/// <see cref="ICalculatedCounts"/>. Needs the process's NpgsqlDataSource and IngestMetrics.
/// Register it before the intake so that it stops after the pump has drained.
/// </summary>
public static class WritePathRegistration
{
    public static void Add(IServiceCollection services, IngestSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        services.TryAddSingleton(settings.Database);
        services.AddSingleton<ResultWriter>();
        services.AddSingleton<GroupCommitSaver>();
        services.AddSingleton<IResultSaver>(sp => sp.GetRequiredService<GroupCommitSaver>());
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<GroupCommitSaver>());
        services.AddSingleton<ICalculatedCounts, PostgresCalculatedCounts>();
    }
}
