using System.Text;
using AntennaIngest.Core.Contracts;
using AntennaIngest.Core.Decoding;
using static AntennaIngest.UnitTests.Decoding.Messages;

namespace AntennaIngest.UnitTests.Decoding;

/// <summary>Celery protocol v2: headers, compression, [args, kwargs, embed].</summary>
public sealed class CeleryEnvelopeTests
{
    [Fact]
    public void Positional_args_are_accepted_in_parameter_order()
    {
        var body = CeleryBody("{}", $$"""[9, {{Success()}}, "{{Reply}}"]""");

        var task = Task(TaskDecoder.DecodeCelery(Celery(), body, Max, DateTimeOffset.UtcNow));

        Assert.Equal(9, task.JobId);
        Assert.Equal(Reply, task.ReplySubject);
    }

    [Fact]
    public void Kwargs_win_over_positional_args()
    {
        var body = CeleryBody($$"""{"job_id": 3}""", $$"""[9, {{Success()}}, "{{Reply}}"]""");

        Assert.Equal(3, Task(TaskDecoder.DecodeCelery(Celery(), body, Max, DateTimeOffset.UtcNow)).JobId);
    }

    [Theory]
    [InlineData("application/x-gzip")]
    [InlineData("gzip")]
    [InlineData("zlib")]
    public void Kombu_gzip_means_zlib(string compression)
    {
        var body = Zlib(ProcessKwargs(Success()));

        Assert.IsType<DecodedTask>(TaskDecoder.DecodeCelery(Celery(compression: compression), body, Max, DateTimeOffset.UtcNow));
    }

    [Fact]
    public void A_truncated_zlib_body_is_rejected()
    {
        var body = Zlib(ProcessKwargs(Success(string.Join(", ", Enumerable.Repeat(Detection(), 50)))));

        var rejected = Expect<RejectedMessage>(TaskDecoder.DecodeCelery(Celery(compression: "application/x-gzip"), body.AsMemory(0, body.Length / 2), Max, DateTimeOffset.UtcNow));

        Assert.Matches("zlib|invalid JSON", rejected.Reason);
    }

    [Fact]
    public void A_zlib_body_missing_only_its_checksum_trailer_still_decodes()
    {
        // Documented deviation (compatibility.md): the data is complete; Python's zlib would
        // refuse the stream, .NET's inflater does not check for the trailer.
        var body = Zlib(ProcessKwargs(Success(Detection())));

        Assert.IsType<DecodedTask>(TaskDecoder.DecodeCelery(Celery(compression: "application/x-gzip"), body.AsMemory(0, body.Length - 4), Max, DateTimeOffset.UtcNow));
    }

    [Fact]
    public void A_real_gzip_body_is_not_accepted_as_kombu_gzip()
    {
        using var output = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.Fastest))
        {
            gzip.Write(ProcessKwargs(Success()));
        }

        Assert.IsType<RejectedMessage>(TaskDecoder.DecodeCelery(Celery(compression: "application/x-gzip"), output.ToArray(), Max, DateTimeOffset.UtcNow));
    }

    [Fact]
    public void Unknown_compression_and_content_types_are_rejected()
    {
        Assert.Contains("compression", Expect<RejectedMessage>(TaskDecoder.DecodeCelery(Celery(compression: "application/x-bz2"), ProcessKwargs(Success()), Max, DateTimeOffset.UtcNow)).Reason, StringComparison.Ordinal);
        Assert.Contains("content type", Expect<RejectedMessage>(TaskDecoder.DecodeCelery(Celery(contentType: "application/x-python-serialize"), ProcessKwargs(Success()), Max, DateTimeOffset.UtcNow)).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Bodies_above_the_limit_are_rejected_before_and_after_inflating()
    {
        var body = ProcessKwargs(Success(string.Join(", ", Enumerable.Repeat(Detection(), 200))));

        Assert.Contains("INGEST_MAX_MESSAGE_BYTES", Expect<RejectedMessage>(TaskDecoder.DecodeCelery(Celery(), body, 1024, DateTimeOffset.UtcNow)).Reason, StringComparison.Ordinal);
        Assert.Contains("INGEST_MAX_MESSAGE_BYTES", Expect<RejectedMessage>(TaskDecoder.DecodeCelery(Celery(compression: "zlib"), Zlib(body), 1024, DateTimeOffset.UtcNow)).Reason, StringComparison.Ordinal);
        Assert.IsType<DecodedTask>(TaskDecoder.DecodeCelery(Celery(compression: "zlib"), Zlib(body), body.Length, DateTimeOffset.UtcNow));
    }

    [Fact]
    public void A_zip_bomb_stops_at_the_limit()
    {
        var zeros = new byte[50 * 1024 * 1024];
        var bomb = Zlib(zeros);

        var rejected = Expect<RejectedMessage>(TaskDecoder.DecodeCelery(Celery(compression: "zlib"), bomb, 1024 * 1024, DateTimeOffset.UtcNow));

        Assert.Contains("INGEST_MAX_MESSAGE_BYTES", rejected.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Other_task_names_are_unhandled_and_a_missing_task_header_is_rejected()
    {
        Assert.Equal(new UnhandledTask("ami.tasks.something_else"), TaskDecoder.DecodeCelery(Celery("ami.tasks.something_else"), "garbage"u8.ToArray(), Max, DateTimeOffset.UtcNow));
        Assert.IsType<RejectedMessage>(TaskDecoder.DecodeCelery(Celery(string.Empty), ProcessKwargs(Success()), Max, DateTimeOffset.UtcNow));
    }

    [Fact]
    public void Expired_tasks_are_dropped_and_unexpired_ones_run()
    {
        var now = DateTimeOffset.UtcNow;
        Assert.IsType<ExpiredTask>(TaskDecoder.DecodeCelery(Celery(expires: now.AddSeconds(-1)), ProcessKwargs(Success()), Max, now));
        Assert.IsType<DecodedTask>(TaskDecoder.DecodeCelery(Celery(expires: now.AddSeconds(60)), ProcessKwargs(Success()), Max, now));
    }

    [Fact]
    public void A_missing_argument_is_rejected_with_the_job_when_readable()
    {
        var rejected = Expect<RejectedMessage>(TaskDecoder.DecodeCelery(Celery(), CeleryBody("""{"job_id": 5, "result_data": {"error": "x"}}"""), Max, DateTimeOffset.UtcNow));

        Assert.Equal("reply_subject", rejected.Field);
        Assert.Equal(5, rejected.JobId);
    }

    [Fact]
    public void Save_results_takes_results_or_results_json_and_an_optional_job()
    {
        var inline = (SaveResultsTask)Expect<DecodedTask>(TaskDecoder.DecodeCelery(Celery(TaskDecoder.SaveResultsTask), CeleryBody($$"""{"results": {{Success()}}}"""), Max, DateTimeOffset.UtcNow)).Task;
        Assert.Null(inline.JobId);

        var none = Expect<RejectedMessage>(TaskDecoder.DecodeCelery(Celery(TaskDecoder.SaveResultsTask), CeleryBody("""{"job_id": 4}"""), Max, DateTimeOffset.UtcNow));
        Assert.Equal(4, none.JobId);
    }

    [Fact]
    public void Invalid_utf8_and_non_array_bodies_are_rejected()
    {
        Assert.IsType<RejectedMessage>(TaskDecoder.DecodeCelery(Celery(), new byte[] { 0xff, 0xfe, 0x5b }, Max, DateTimeOffset.UtcNow));
        Assert.IsType<RejectedMessage>(TaskDecoder.DecodeCelery(Celery(), Encoding.UTF8.GetBytes("{\"job_id\": 1}"), Max, DateTimeOffset.UtcNow));
    }
}
