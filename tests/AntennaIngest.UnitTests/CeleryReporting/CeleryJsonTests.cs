using System.Text;
using System.Text.Json;
using AntennaIngest.Core.Celery;
using AntennaIngest.Core.Decoding;
using AntennaIngest.Core.Intake;

namespace AntennaIngest.UnitTests.CeleryReporting;

/// <summary>The result-backend and event bodies keep Celery 5.4's keys, order and value shapes.</summary>
public sealed class CeleryJsonTests
{
    private static readonly DateTimeOffset s_now = new(2026, 3, 26, 12, 0, 1, TimeSpan.Zero);

    private static CeleryCall Call() => new(
        "a1b2", "ami.ml.models.pipeline.save_results",
        new CeleryArguments("[]"u8.ToArray(), "{\"results_json\": \"{}\", \"job_id\": 7}"u8.ToArray()), 2,
        new CeleryEnvelope("ml_results", "reply", "a1b2", "parent-9", "root-1", null, "()", "{'job_id': 7}"), null, null);

    private static List<string> Keys(byte[] json) =>
        JsonDocument.Parse(json).RootElement.EnumerateObject().Select(p => p.Name).ToList();

    [Fact]
    public void Redis_meta_has_celery_keys_in_celery_order_with_the_request_fields()
    {
        var json = CeleryResultJson.ForKeyValueBackend(Call(), CeleryState.Success, null, "antenna-ingest@h", s_now);

        Assert.Equal(["status", "result", "traceback", "children", "date_done", "parent_id", "name", "args", "kwargs", "worker", "retries", "queue", "task_id"], Keys(json));
        Assert.Contains("\"date_done\":\"2026-03-26T12:00:01+00:00\"", Encoding.UTF8.GetString(json), StringComparison.Ordinal);
        Assert.Equal(7, JsonDocument.Parse(json).RootElement.GetProperty("kwargs").GetProperty("job_id").GetInt32());
    }

    [Fact]
    public void Failure_is_an_exception_dict_with_the_message_as_a_list()
    {
        var json = CeleryResultJson.ForRpcBackend(Call(), CeleryState.Failure, CeleryError.Deterministic("no detector"));
        var result = JsonDocument.Parse(json).RootElement.GetProperty("result");

        Assert.Equal(["task_id", "status", "result", "traceback", "children"], Keys(json));
        Assert.Equal("ValueError", result.GetProperty("exc_type").GetString());
        Assert.Equal("builtins", result.GetProperty("exc_module").GetString());
        Assert.Equal("no detector", result.GetProperty("exc_message")[0].GetString());
    }

    [Fact]
    public void Events_carry_celery_envelope_fields_and_a_rising_clock()
    {
        var events = new CeleryEventJson("antenna-ingest@h", 123, 0);
        var received = JsonDocument.Parse(events.TaskReceived(Call(), s_now)).RootElement;
        var failed = JsonDocument.Parse(events.TaskFailed(Call(), CeleryError.Deterministic("it's"), s_now)).RootElement;

        Assert.Equal(["hostname", "utcoffset", "pid", "clock", "uuid", "name", "args", "kwargs", "root_id", "parent_id", "retries", "eta", "expires", "timestamp", "type"],
            received.EnumerateObject().Select(p => p.Name).ToList());
        Assert.Equal("task-received", received.GetProperty("type").GetString());
        Assert.True(failed.GetProperty("clock").GetInt64() > received.GetProperty("clock").GetInt64());
        Assert.Equal("ValueError(\"it's\")", failed.GetProperty("exception").GetString());
        Assert.Equal("task.succeeded", CeleryEventJson.RoutingKey("task-succeeded"));
        Assert.Equal(-2, CeleryEventJson.UtcOffsetHours(TimeSpan.FromHours(2)));
    }
}
