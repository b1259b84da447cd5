using System.Diagnostics;
using System.Text.Json;
using AntennaIngest.Core.Configuration;
using AntennaIngest.Core.Contracts;
using AntennaIngest.Core.Processing;
using AntennaIngest.Redis.Results;
using AntennaIngest.Testing;

namespace AntennaIngest.IntegrationTests.Intake;

/// <summary>
/// Antenna's sync_api jobs wait for save_results through Celery's result backend. A real Celery
/// client (tests/celery/await_results.py) sends the task, polls AsyncResult and listens for events;
/// the intake, pump, result backend and event publisher run as in the binary.
/// </summary>
public sealed class CeleryResultTests
{
    private const long OkJob = 43;
    private const long FailingJob = 666;

    private static IntakeHarness.RecordingHandler Handler() => new()
    {
        Outcome = task => task is SaveResultsTask { JobId: FailingJob }
            ? TaskOutcome.Failure("unsavable", "Pipeline does not have a detection algorithm")
            : "saved",
    };

    [Fact]
    public async Task Real_celery_client_gets_SUCCESS_and_FAILURE_from_the_redis_backend_and_sees_the_task_events()
    {
        var backend = ResultBackend.WithDatabaseOne(ServiceEndpoints.RedisUrl);
        await using var harness = await IntakeHarness.StartAsync(Handler(), extra: new() { ["REDIS_URL"] = ServiceEndpoints.RedisUrl }, celeryReporting: true);

        var report = await RunClientAsync(harness, backend);

        // The stored meta is Celery's, with result_extended's request fields.
        var okId = report.GetProperty("ids").GetProperty("ok").GetString()!;
        var database = harness.ResultsRedis!.GetDatabase(harness.Settings.Celery.Results!.Redis!.Database);
        var key = RedisResultBackend.KeyPrefix + okId;
        using var meta = JsonDocument.Parse((string)(await database.StringGetAsync(key))!);
        var root = meta.RootElement;
        Assert.Equal("SUCCESS", root.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("result").ValueKind);
        Assert.Equal("ami.ml.models.pipeline.save_results", root.GetProperty("name").GetString());
        Assert.Equal(OkJob, root.GetProperty("kwargs").GetProperty("job_id").GetInt64());
        Assert.Equal(0, root.GetProperty("args").GetArrayLength());
        Assert.Equal(harness.Queue, root.GetProperty("queue").GetString());
        Assert.Equal(harness.Settings.Celery.WorkerName, root.GetProperty("worker").GetString());
        Assert.Equal(okId, root.GetProperty("task_id").GetString());
        Assert.EndsWith("+00:00", root.GetProperty("date_done").GetString(), StringComparison.Ordinal);
        var ttl = await database.KeyTimeToLiveAsync(key);
        Assert.InRange(ttl!.Value.TotalSeconds, 259_000, 259_200);
    }

    [Fact]
    public async Task Real_celery_client_gets_SUCCESS_and_FAILURE_from_the_rpc_backend()
    {
        await using var harness = await IntakeHarness.StartAsync(Handler(), extra: new() { ["CELERY_RESULT_BACKEND"] = "rpc://" }, celeryReporting: true);
        var report = await RunClientAsync(harness, "rpc://");
        Assert.Equal("ValueError", report.GetProperty("failing").GetProperty("exc_type").GetString());
    }

    [Fact]
    public async Task A_replayed_task_stores_the_same_state_and_never_overwrites_a_SUCCESS()
    {
        await using var harness = await IntakeHarness.StartAsync(Handler(), extra: new() { ["REDIS_URL"] = ServiceEndpoints.RedisUrl, ["INGEST_CELERY_EVENTS"] = "false" }, celeryReporting: true);
        var celery = harness.Settings.Celery;
        var backend = new RedisResultBackend(harness.ResultsRedis!, celery.Results!.Redis!.Database, celery.Results.Expires, celery.WorkerName);
        var call = new Core.Celery.CeleryCall(Guid.NewGuid().ToString(), "ami.ml.models.pipeline.save_results", null, 0,
            new Core.Intake.CeleryEnvelope("ml_results", null, null, null, null, null, null, null), null, null);
        var database = harness.ResultsRedis!.GetDatabase(celery.Results.Redis.Database);
        var key = RedisResultBackend.KeyPrefix + call.TaskId;

        await backend.StoreAsync(call, Core.Celery.CeleryState.Failure, Core.Celery.CeleryError.Unavailable("down"), CancellationToken.None);
        Assert.Contains("\"FAILURE\"", (string)(await database.StringGetAsync(key))!, StringComparison.Ordinal);
        await backend.StoreAsync(call, Core.Celery.CeleryState.Success, null, CancellationToken.None);
        await backend.StoreAsync(call, Core.Celery.CeleryState.Failure, Core.Celery.CeleryError.Unavailable("late duplicate"), CancellationToken.None);
        Assert.StartsWith("{\"status\":\"SUCCESS\"", (string)(await database.StringGetAsync(key))!, StringComparison.Ordinal);
        await database.KeyDeleteAsync(key);
    }

    private static async Task<JsonElement> RunClientAsync(IntakeHarness harness, string backend)
    {
        var script = Path.Combine(RepositoryRoot(), "tests", "celery", "await_results.py");
        using var client = Process.Start(new ProcessStartInfo("/usr/bin/python3", [script, ServiceEndpoints.BrokerUrl, backend, harness.Queue, $"{OkJob}", $"{FailingJob}", harness.Settings.Celery.WorkerName])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var output = client.StandardOutput.ReadToEndAsync();
        var errors = client.StandardError.ReadToEndAsync();
        await client.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
        Assert.True(client.ExitCode == 0, $"exit {client.ExitCode}\n{await output}\n{await errors}");
        return JsonDocument.Parse(await output).RootElement.Clone();
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(directory!.FullName, "antenna-ingest-aot.sln")))
        {
            directory = directory.Parent;
        }

        return directory.FullName;
    }
}
