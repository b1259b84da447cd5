using AntennaIngest.Core.Decoding;
using static AntennaIngest.UnitTests.Decoding.Messages;

namespace AntennaIngest.UnitTests.Decoding;

/// <summary>The pydantic v1 rules of Antenna's schemas (antenna-ingest-io.md §2).</summary>
public sealed class PydanticRuleTests
{
    [Fact]
    public void Ids_become_strings_numeric_strings_become_floats_and_defaults_apply()
    {
        var result = Task(DecodeResult(Success(Detection()))).Result.Success!;

        Assert.Equal("10", result.SourceImages[0].Id);
        var detection = result.Detections[0];
        Assert.Equal("10", detection.SourceImageId);
        Assert.Equal(new Core.Contracts.BoundingBox(1, 2.5, 30, 40), detection.Bbox);
        Assert.Null(detection.InferenceTime);
        Assert.Null(detection.CropImageUrl);
        Assert.Empty(detection.Classifications);
    }

    [Fact]
    public void Classification_defaults_are_terminal_true_and_empty_scores()
    {
        var classification = """{"classification": 5, "algorithm": {"name": "C", "key": "c"}, "timestamp": "2024-06-01 02:13"}""";
        var result = Task(DecodeResult(Success(Detection($", \"classifications\": [{classification}]")))).Result.Success!;

        var decoded = result.Detections[0].Classifications[0];
        Assert.Equal("5", decoded.Classification);
        Assert.True(decoded.Terminal);
        Assert.Empty(decoded.Scores);
        Assert.Null(decoded.Labels);
        Assert.Null(decoded.Logits);
        Assert.Equal("2024-06-01T02:13:00", decoded.Timestamp.IsoText);
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("0", false)]
    [InlineData("\"yes\"", true)]
    [InlineData("\"off\"", false)]
    [InlineData("\"T\"", true)]
    public void Booleans_are_coerced_like_pydantic(string value, bool expected)
    {
        var classification = $$"""{"classification": "x", "terminal": {{value}}, "algorithm": {"name": "C", "key": "c"}, "timestamp": "2024-06-01T02:13:00"}""";
        var result = Task(DecodeResult(Success(Detection($", \"classifications\": [{classification}]")))).Result.Success!;

        Assert.Equal(expected, result.Detections[0].Classifications[0].Terminal);
    }

    [Theory]
    [InlineData("\"2024-06-01T02:13:44Z\"", "2024-06-01T02:13:44+00:00", true)]
    [InlineData("\"2024-06-01T02:13:44.5-04:00\"", "2024-06-01T02:13:44.500000-04:00", true)]
    [InlineData("\"2024-06-01T02:13:44.1234567\"", "2024-06-01T02:13:44.123456", false)]
    [InlineData("\"2024-06-01 02:13\"", "2024-06-01T02:13:00", false)]
    [InlineData("\"2024-06-01T02:13:44+0530\"", "2024-06-01T02:13:44+05:30", true)]
    [InlineData("1717208024", "2024-06-01T02:13:44+00:00", true)]
    [InlineData("1717208024.25", "2024-06-01T02:13:44.250000+00:00", true)]
    [InlineData("1717208024000", "2024-06-01T02:13:44+00:00", true)]
    [InlineData("\"1717208024\"", "2024-06-01T02:13:44+00:00", true)]
    [InlineData("{\"__type__\": \"datetime\", \"__value__\": \"2024-06-01T02:13:44\"}", "2024-06-01T02:13:44", false)]
    public void Timestamps_parse_as_pydantic_and_keep_pythons_isoformat(string timestamp, string iso, bool aware)
    {
        var result = Task(DecodeResult(Success(Detection().Replace("\"2024-06-01T02:13:44\"", timestamp, StringComparison.Ordinal)))).Result.Success!;

        Assert.Equal(iso, result.Detections[0].Timestamp.IsoText);
        Assert.Equal(aware, result.Detections[0].Timestamp.IsAware);
    }

    [Fact]
    public void An_offset_timestamp_is_stored_as_its_instant()
    {
        var result = Task(DecodeResult(Success(Detection().Replace("\"2024-06-01T02:13:44\"", "\"2024-06-01T02:13:44-04:00\"", StringComparison.Ordinal)))).Result.Success!;

        Assert.Equal(new DateTime(2024, 6, 1, 6, 13, 44, DateTimeKind.Utc), result.Detections[0].Timestamp.Value);
    }

    [Theory]
    [InlineData("\"2024-06-01\"")]
    [InlineData("\"yesterday\"")]
    [InlineData("\"2024-13-01T00:00:00\"")]
    [InlineData("true")]
    public void Bad_timestamps_are_rejected_with_their_path(string timestamp)
    {
        var rejected = Expect<RejectedMessage>(DecodeResult(Success(Detection().Replace("\"2024-06-01T02:13:44\"", timestamp, StringComparison.Ordinal))));

        Assert.Equal("result_data.detections[0].timestamp", rejected.Field);
        Assert.Equal(7, rejected.JobId);
    }

    [Theory]
    [InlineData("""[1, 2, 3, 4]""", "result_data.detections[0].bbox", "value is not a valid dict")]
    [InlineData("""{"x1": 1, "y1": 2, "x2": 3}""", "result_data.detections[0].bbox.y2", "field required")]
    [InlineData("""{"x1": "one", "y1": 2, "x2": 3, "y2": 4}""", "result_data.detections[0].bbox.x1", "value is not a valid float")]
    [InlineData("""{"x1": "nan", "y1": 2, "x2": 3, "y2": 4}""", "result_data.detections[0].bbox.x1", "value is not a finite float")]
    public void Invalid_boxes_name_the_field(string bbox, string field, string reason)
    {
        var rejected = Expect<RejectedMessage>(DecodeResult(Success(Detection().Replace("""{"x1": 1, "y1": 2.5, "x2": "30", "y2": 40}""", bbox, StringComparison.Ordinal))));

        Assert.Equal(field, rejected.Field);
        Assert.Equal(reason, rejected.Reason);
    }

    [Fact]
    public void Reversed_and_negative_boxes_are_accepted_as_antenna_does()
    {
        var detection = Detection().Replace("""{"x1": 1, "y1": 2.5, "x2": "30", "y2": 40}""", """{"x1": 30, "y1": -2, "x2": 1, "y2": -40}""", StringComparison.Ordinal);

        Assert.Equal(new Core.Contracts.BoundingBox(30, -2, 1, -40), Task(DecodeResult(Success(detection))).Result.Success!.Detections[0].Bbox);
    }

    [Theory]
    [InlineData("""{"pipeline": "p", "source_images": [], "detections": []}""", "result_data.total_time", "field required")]
    [InlineData("""{"pipeline": null, "total_time": 1, "source_images": [], "detections": []}""", "result_data.pipeline", "none is not an allowed value")]
    [InlineData("""{"pipeline": "p", "total_time": 1, "source_images": [{"id": 1}], "detections": []}""", "result_data.source_images[0].url", "field required")]
    [InlineData("""{"pipeline": "p", "total_time": 1, "source_images": {}, "detections": []}""", "result_data.source_images", "value is not a valid list")]
    [InlineData("""{"pipeline": [], "total_time": 1, "source_images": [], "detections": []}""", "result_data.pipeline", "str type expected")]
    public void Missing_and_wrongly_typed_fields_are_rejected(string result, string field, string reason)
    {
        var rejected = Expect<RejectedMessage>(DecodeResult(result));

        Assert.Equal(field, rejected.Field);
        Assert.Equal(reason, rejected.Reason);
        Assert.Equal(7, rejected.JobId);
    }

    [Fact]
    public void Explicit_null_for_a_defaulted_list_is_rejected_but_absent_is_fine()
    {
        var classification = """{"classification": "x", "scores": null, "algorithm": {"name": "C", "key": "c"}, "timestamp": "2024-06-01T02:13:00"}""";

        var rejected = Expect<RejectedMessage>(DecodeResult(Success(Detection($", \"classifications\": [{classification}]"))));

        Assert.Equal("result_data.detections[0].classifications[0].scores", rejected.Field);
    }

    [Fact]
    public void Unknown_fields_are_ignored()
    {
        var result = Task(DecodeResult(Success(Detection(", \"mystery\": {\"a\": [1, 2]}"), ", \"client_info\": 5"))).Result.Success!;

        Assert.Single(result.Detections);
    }

    [Fact]
    public void The_task_rule_makes_any_dict_with_an_error_key_an_error_result()
    {
        Assert.True(Task(DecodeResult(Success(extra: ", \"error\": \"boom\""))).Result.IsError);
        Assert.Equal([], Task(DecodeResult("""{"error": "failed to load image", "image_id": null}""")).Result.ImageIds());
        Assert.Equal(["5"], Task(DecodeResult("""{"error": "x", "image_id": 5}""")).Result.ImageIds());
    }

    [Fact]
    public void The_native_stream_uses_the_pydantic_union_success_first()
    {
        Assert.False(Task(DecodeJetStream(Success(extra: ", \"error\": \"boom\""))).Result.IsError);
        Assert.True(Task(DecodeJetStream("""{"error": "boom", "image_id": "3"}""")).Result.IsError);

        var neither = Expect<RejectedMessage>(DecodeJetStream("""{"image_id": "1"}"""));
        Assert.Equal(7, neither.JobId);
        Assert.Equal("result.pipeline", neither.Field);
    }

    [Fact]
    public void Nan_and_infinity_literals_are_invalid_json()
    {
        var rejected = Expect<RejectedMessage>(DecodeResult(Success(extra: ", \"x\": NaN")));

        Assert.StartsWith("invalid JSON", rejected.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Kombu_envelopes_are_unwrapped_anywhere_a_value_is_expected()
    {
        var result = Task(DecodeResult(Success(extra: ", \"total_time\": {\"__type__\": \"decimal\", \"__value__\": \"2.5\"}").Replace("\"total_time\": 1, ", string.Empty, StringComparison.Ordinal))).Result.Success!;

        Assert.Equal(2.5, result.TotalTime);
    }
}
