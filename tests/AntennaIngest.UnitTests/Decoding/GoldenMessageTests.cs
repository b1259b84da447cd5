using AntennaIngest.Core.Contracts;
using AntennaIngest.Core.Decoding;
using static AntennaIngest.UnitTests.Decoding.Messages;

namespace AntennaIngest.UnitTests.Decoding;

/// <summary>kombu 5.4 messages (zlib bodies, datetime envelopes) from tests/fixtures/celery.</summary>
public sealed class GoldenMessageTests
{
    private static DecodeResult Decode(string name) =>
        TaskDecoder.DecodeCelery(FromGoldenHeaders(name), GoldenBody(name), Max, DateTimeOffset.UtcNow);

    [Fact]
    public void The_body_is_zlib_not_gzip()
    {
        var body = GoldenBody("process_result_success");
        Assert.Equal([0x78, 0x9c], body[..2]);
    }

    [Fact]
    public void A_success_result_decodes_with_every_field_and_envelope()
    {
        var task = Task(Decode("process_result_success"));

        Assert.Equal(1234, task.JobId);
        Assert.Equal("$JS.ACK.job_1234.job-1234-consumer.1.57.57.1753228800123456789.142", task.ReplySubject);
        var result = task.Result.Success!;
        Assert.Equal("global_moths_2024", result.Pipeline);
        Assert.Equal(1.84, result.TotalTime);
        Assert.Equal([new SourceImageResponse("987654", "https://storage.example.org/trap-7/20240601021344-snapshot.jpg")], result.SourceImages);
        var first = result.Detections[0];
        Assert.Equal(new BoundingBox(1021.4, 733.0, 1188.9, 861.2), first.Bbox);
        Assert.Equal(0.21, first.InferenceTime);
        Assert.Equal(new AlgorithmReference("FasterRCNN 2023 moth detector", "moth_detector_2023"), first.Algorithm);
        Assert.Equal(new DateTime(2024, 6, 1, 2, 13, 44, DateTimeKind.Utc).AddTicks(1234560), first.Timestamp.Value);
        Assert.True(first.Timestamp.IsAware);
        Assert.Equal("2024-06-01T02:13:44.123456+00:00", first.Timestamp.IsoText);
        Assert.Null(first.CropImageUrl);
        var binary = first.Classifications[0];
        Assert.Equal("moth", binary.Classification);
        Assert.Equal(["moth", "nonmoth"], binary.Labels);
        Assert.Equal([0.97, 0.03], binary.Scores);
        Assert.Equal([2.1, -1.4], binary.Logits!);
        Assert.False(binary.Terminal);
        Assert.False(binary.Timestamp.IsAware);
        Assert.Equal("2026-07-22T23:04:47.733001", binary.Timestamp.IsoText);
        var species = first.Classifications[1];
        Assert.Null(species.Labels);
        Assert.True(species.Terminal);
        Assert.Equal("2026-07-22T23:04:47", species.Timestamp.IsoText);
        var second = result.Detections[1];
        Assert.Null(second.Bbox);
        Assert.Equal("crops/already.jpg", second.CropImageUrl);
        Assert.Empty(second.Classifications);
    }

    [Fact]
    public void An_error_result_decodes_as_an_error()
    {
        var task = Task(Decode("process_result_error"));

        Assert.True(task.Result.IsError);
        Assert.Equal(new PipelineResultsError("Batch processing error: CUDA out of memory", "987655"), task.Result.Error);
        Assert.Equal(["987655"], task.Result.ImageIds());
    }

    [Fact]
    public void Save_results_carries_the_response_as_a_json_string()
    {
        var task = (SaveResultsTask)Expect<DecodedTask>(Decode("save_results_json")).Task;

        Assert.Equal(77, task.JobId);
        Assert.Equal("global_moths_2024", task.Results.Pipeline);
        Assert.Equal("2024-06-01T02:13:44.123456+00:00", task.Results.Detections.Single().Timestamp.IsoText);
    }

    [Fact]
    public void Create_detection_images_lists_the_image_ids()
    {
        var task = (CreateDetectionImagesTask)Expect<DecodedTask>(Decode("create_detection_images")).Task;

        Assert.Equal([987654L, 987655L], task.SourceImageIds);
    }
}
