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
    // Result data as kwargsrepr shows it (under kwargs, so two levels of containers): the short
    // error result keeps room for the reply subject; the others run out of budget inside.
    [Theory]
    [InlineData("""{"error": "it's bad", "image_id": "12"}""")]
    [InlineData("""{"pipeline": "p", "algorithms": {"a": {"b": [1, 2]}}, "detections": [{"x": 1}, {"__type__": "datetime", "__value__": "2026-07-22T22:00:05.120000"}, [[2]]], "errors": null, "ok": true}""")]
    [InlineData("""{"detections": [{"timestamp": {"__type__": "datetime", "__value__": "2026-07-22T22:00:05"}, "bbox": [1, 2]}]}""")]
    [InlineData("detections-300")]
    [InlineData("strings-3000")]
    public void A_repr_skeleton_reprs_as_its_value_does(string resultData)
    {
        resultData = resultData switch
        {
            "detections-300" => $$"""{"pipeline": "p", "detections": [{{string.Join(", ", Enumerable.Range(0, 300).Select(i => $$"""{"bbox": [{{i}}, 2], "labels": ["a", "b"]}"""))}}]}""",
            "strings-3000" => $$"""{"labels": [{{string.Join(", ", Enumerable.Range(0, 3000).Select(i => $"\"l{i}\""))}}]}""",
            _ => resultData,
        };
        var skeleton = System.Text.Encoding.UTF8.GetString(PythonRepr.ReprSkeleton(System.Text.Encoding.UTF8.GetBytes(resultData), shownDepth: 2));
        string Kwargs(string data) => $$"""{"job_id": 12, "result_data": {{data}}, "reply_subject": "$JS.ACK.job_12.c.1.1.1.1.0"}""";
        using var whole = JsonDocument.Parse(Kwargs(resultData));
        using var reduced = JsonDocument.Parse(Kwargs(skeleton));

        Assert.Equal(PythonRepr.SafeRepr(whole.RootElement), PythonRepr.SafeRepr(reduced.RootElement));
        Assert.True(skeleton.Length <= resultData.Length);
    }

    [Fact]
    public void A_repr_skeleton_empties_deep_containers_and_stops_after_its_token_budget()
    {
        var skeleton = PythonRepr.ReprSkeleton("""{"a": [{"b": 1}, [2]], "c": {"d": {"e": 3}}, "f": 4, "g": 5}"""u8, shownDepth: 2, maxTokens: 12);
        Assert.Equal("""{"a":[{},[]],"c":{"d":{}},"f":null}""", System.Text.Encoding.UTF8.GetString(skeleton));
    }

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
