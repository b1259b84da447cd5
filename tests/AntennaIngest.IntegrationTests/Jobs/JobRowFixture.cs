using AntennaIngest.Core.Configuration;
using AntennaIngest.Core.Metrics;
using AntennaIngest.Postgres.Connections;
using AntennaIngest.Postgres.Jobs;
using AntennaIngest.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace AntennaIngest.IntegrationTests.Jobs;

/// <summary>A fresh database with one project and pipeline, and the jobs-side sinks pointed at it through pgbouncer.</summary>
public sealed class JobRowFixture : IAsyncDisposable
{
    private JobRowFixture(TestDatabase database, NpgsqlDataSource dataSource, DatabaseSettings settings)
    {
        Database = database;
        DataSource = dataSource;
        Settings = settings;
        Metrics = new IngestMetrics(new MetricsRegistry());
        JobLog = new PostgresJobLog(dataSource, settings, Metrics, AntennaIngest.Core.Processing.NoTableChangeNotifier.Instance, NullLogger<PostgresJobLog>.Instance);
        Jobs = new PostgresJobStore(dataSource, JobLog, AntennaIngest.Core.Processing.NoTableChangeNotifier.Instance);
        Progress = new PostgresProgressWriter(dataSource, settings, JobLog, Metrics, AntennaIngest.Core.Processing.NoTableChangeNotifier.Instance, NullLogger<PostgresProgressWriter>.Instance);
    }

    public TestDatabase Database { get; }

    public NpgsqlDataSource DataSource { get; }

    public DatabaseSettings Settings { get; }

    public IngestMetrics Metrics { get; }

    public PostgresJobLog JobLog { get; }

    public PostgresJobStore Jobs { get; }

    public PostgresProgressWriter Progress { get; }

    public AntennaSeeder Seeder => new(Database.DataSource);

    public static async Task<JobRowFixture> CreateAsync(int progressIntervalMs = 250, bool jobLogPersist = true)
    {
        var database = await TestDatabase.CreateAsync();
        var settings = new SettingsReader(new Dictionary<string, string?>
        {
            ["DATABASE_URL"] = database.PgbouncerUrl,
            ["INGEST_PROGRESS_INTERVAL_MS"] = progressIntervalMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["JOB_LOG_PERSIST_ENABLED"] = jobLogPersist ? "true" : "false",
        }).Read().Database;
        return new JobRowFixture(database, PostgresDataSource.Create(settings, NullLoggerFactory.Instance), settings);
    }

    public async Task<long> JobAsync(int totalImages, string status = "STARTED")
    {
        var project = await Seeder.ProjectAsync();
        return await Seeder.JobAsync(project, null, totalImages, status);
    }

    public async Task<(string Status, string Progress, DateTime? FinishedAt, DateTime UpdatedAt)> RowAsync(long jobId)
    {
        var row = (await Database.RowsAsync("SELECT status, progress::text, finished_at, updated_at FROM jobs_job WHERE id = $1", jobId)).Single();
        return ((string)row[0]!, (string)row[1]!, (DateTime?)row[2], (DateTime)row[3]!);
    }

    public async Task<List<(string Level, string Message)>> LogAsync(long jobId)
    {
        await JobLog.FlushAsync(CancellationToken.None);
        return (await Database.RowsAsync("SELECT level, message FROM jobs_joblog WHERE job_id = $1 ORDER BY id", jobId))
            .Select(r => ((string)r[0]!, (string)r[1]!)).ToList();
    }

    public async ValueTask DisposeAsync()
    {
        Progress.Dispose();
        JobLog.Dispose();
        await DataSource.DisposeAsync();
        await Database.DisposeAsync();
    }
}
