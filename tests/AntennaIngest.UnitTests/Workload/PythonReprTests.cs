using System.Text.Json;
using AntennaIngest.Testing;

namespace AntennaIngest.UnitTests.Workload;

/// <summary>
/// The workload's Python texts against Python's own: expected strings were printed by Debian's
/// celery 5.2.6 `celery.utils.saferepr.saferepr(value, 1024)` and by `repr(float)`; the JSON
/// inputs by kombu 5.4's JSON (bench/antenna_worker/kombu_json54.py) of the same values.
/// </summary>
public sealed class PythonReprTests
{
    [Fact]
    public void A_long_string_is_cut_at_the_budget_then_the_brackets_close()
    {
        var error = string.Concat(Enumerable.Repeat("x ", 700));
        using var kwargs = JsonDocument.Parse($$"""{"job_id": 7, "result_data": {"error": "{{error}}", "image_id": "12"}, "reply_subject": "$JS.ACK.job_7.c.1.1.1.1.0"}""");
        var kept = string.Join(' ', Enumerable.Repeat("x", 492));
        Assert.Equal($"{{'job_id': 7, 'result_data': {{'error': '{kept}...', ...}}}}", PythonRepr.SafeRepr(kwargs.RootElement));
    }

    [Fact]
    public void A_long_list_is_cut_mid_item_then_the_brackets_close()
    {
        var detections = string.Join(", ", Enumerable.Repeat("""{"a": 1}""", 200));
        using var kwargs = JsonDocument.Parse($$"""
            {"job_id": 8, "result_data": {"pipeline": "p", "algorithms": {}, "total_time": 2.0, "source_images": [{"id": "1"}], "detections": [{{detections}}], "errors": null}, "reply_subject": "r"}
            """);
        var shown = string.Join(", ", Enumerable.Repeat("{...}", 128));
        Assert.Equal(
            "{'job_id': 8, 'result_data': {'pipeline': 'p', 'algorithms': {}, 'total_time': 2.0, 'source_images': [{...}], 'detections': [" + shown + ", {....., ...]}}",
            PythonRepr.SafeRepr(kwargs.RootElement));
    }

    [Fact]
    public void Quotes_datetimes_booleans_and_deep_nesting()
    {
        using var kwargs = JsonDocument.Parse("""
            {"job_id": 9, "result_data": {"error": "it's bad", "when": {"__type__": "datetime", "__value__": "2026-07-22T22:00:05.120000"}, "at": {"__type__": "datetime", "__value__": "2026-07-22T22:00:00"}}, "ok": true, "nested": [[[1]]]}
            """);
        Assert.Equal(
            """
            {'job_id': 9, 'result_data': {'error': 'it\'s bad', 'when': datetime.datetime(2026, 7, 22, 22, 0, 5, 120000), 'at': datetime.datetime(2026, 7, 22, 22, 0)}, 'ok': True, 'nested': [[[...]]]}
            """,
            PythonRepr.SafeRepr(kwargs.RootElement));
    }

    [Theory]
    [InlineData(991.0, "991.0")]
    [InlineData(0.1, "0.1")]
    [InlineData(1e-05, "1e-05")]
    [InlineData(3.2e-05, "3.2e-05")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(1e16, "1e+16")]
    [InlineData(1.5e16, "1.5e+16")]
    [InlineData(123456789012345.6, "123456789012345.6")]
    [InlineData(1000000000000000.0, "1000000000000000.0")]
    [InlineData(-0.0, "-0.0")]
    [InlineData(0.0, "0.0")]
    [InlineData(-2.5, "-2.5")]
    [InlineData(1.401, "1.401")]
    [InlineData(0.30000000000000004, "0.30000000000000004")]
    [InlineData(5e-324, "5e-324")]
    [InlineData(1.7976931348623157e308, "1.7976931348623157e+308")]
    public void Floats_read_as_Python_writes_them(double value, string expected) =>
        Assert.Equal(expected, PythonRepr.OfDouble(value));

    [Fact]
    public void Separators_are_added_outside_strings_only()
    {
        var laidOut = PythonJson.WithPythonSeparators("[[],{\"a\":\"x, y: \\\"z\\\",\",\"b\":[1,2.0]}]"u8);
        Assert.Equal("[[], {\"a\": \"x, y: \\\"z\\\",\", \"b\": [1, 2.0]}]", System.Text.Encoding.UTF8.GetString(laidOut));
    }
}
