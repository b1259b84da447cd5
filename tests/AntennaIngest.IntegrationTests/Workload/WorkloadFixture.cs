using AntennaIngest.Testing;
using AntennaIngest.Workload.Setup;

namespace AntennaIngest.IntegrationTests.Workload;

/// <summary>A small workload set up in its own database, with unique job ids; everything removed on dispose.</summary>
public sealed class WorkloadFixture : IAsyncDisposable
{
    private WorkloadFixture(TestDatabase database, string directory, Manifest manifest)
    {
        Database = database;
        Directory = directory;
        Manifest = manifest;
    }

    public TestDatabase Database { get; }

    public string Directory { get; }

    public Manifest Manifest { get; }

    public static async Task<WorkloadFixture> CreateAsync(int jobs, int imagesPerJob, int speciesLabels = 50)
    {
        var database = await TestDatabase.CreateAsync("workload_test");
        var directory = Path.Combine(Path.GetTempPath(), "workload-test-" + Guid.NewGuid().ToString("N"));
        var settings = new SetupSettings(directory, jobs, imagesPerJob, Seed: 4, Projects: 1, Deployments: 2, database.DirectUrl, speciesLabels, "http://127.0.0.1:9/", null, AckWaitSeconds: 600, JobIdBase: 0);
        var manifest = await SetupCommand.BuildAsync(settings, TextWriter.Null, CancellationToken.None);
        return new WorkloadFixture(database, directory, manifest);
    }

    public static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "antenna-ingest-aot.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }

    public async ValueTask DisposeAsync()
    {
        var (connection, redis) = await ServiceClients.RedisAsync(Manifest.RedisUrl);
        await using (connection)
        await using (var nats = ServiceClients.Nats(Manifest.NatsUrl))
        {
            foreach (var job in Manifest.Jobs)
            {
                await redis.KeyDeleteAsync([$"job:{job.Id}:pending_images:process", $"job:{job.Id}:pending_images:results", $"job:{job.Id}:failed_images", $"job:{job.Id}:pending_images_total", $"job:{job.Id}:results_counts"]);
                await new AntennaJobTasks(nats, job.Id).DeleteAsync();
            }
        }

        await Database.DisposeAsync();
        if (System.IO.Directory.Exists(Directory))
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }
}
