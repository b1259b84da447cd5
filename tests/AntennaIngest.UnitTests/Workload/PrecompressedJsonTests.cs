using System.IO.Compression;
using System.Text;
using AntennaIngest.Testing;
using AntennaIngest.Workload.Enqueue;

namespace AntennaIngest.UnitTests.Workload;

public sealed class PrecompressedJsonTests
{
    [Fact]
    public void Adler32_matches_the_published_check_value()
    {
        // RFC 1950's checksum of "Wikipedia", as zlib.adler32 gives it.
        Assert.Equal(0x11E60398u, PrecompressedJson.Adler32("Wikipedia"u8));
    }

    [Theory]
    [InlineData("Wiki", "pedia")]
    [InlineData("", "Wikipedia")]
    [InlineData("Wikipedia", "")]
    public void Adler32_of_two_parts_combines_to_that_of_the_whole(string first, string second)
    {
        var (a, b) = (Encoding.UTF8.GetBytes(first), Encoding.UTF8.GetBytes(second));
        Assert.Equal(PrecompressedJson.Adler32([.. a, .. b]), PrecompressedJson.Adler32Combine(PrecompressedJson.Adler32(a), PrecompressedJson.Adler32(b), b.Length));
    }

    [Fact]
    public void Adler32_combines_over_parts_longer_than_the_modulus()
    {
        var whole = Enumerable.Range(0, 300_000).Select(i => (byte)(255 - (i * 7 % 256))).ToArray();
        var (a, b) = (whole[..70_001], whole[70_001..]);
        Assert.Equal(PrecompressedJson.Adler32(whole), PrecompressedJson.Adler32Combine(PrecompressedJson.Adler32(a), PrecompressedJson.Adler32(b), b.Length));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(40_000)] // several deflate blocks and many Adler-32 blocks
    public void A_message_around_precompressed_result_data_inflates_to_the_same_body_and_headers(int labels)
    {
        var resultData = ResultJson(labels);
        const string Reply = "$JS.ACK.job_42.job-42-consumer.1.7.7.1796278600689749275.3";

        var whole = CeleryMessage.ProcessResult(42, resultData, Reply, taskId: "task-1", validate: true);
        var pieced = CeleryMessage.ProcessResult(42, PrecompressedJson.Of(resultData), Reply, taskId: "task-1");

        Assert.True(pieced.Compressed);
        Assert.Equal(whole.BodyText(), InflateWithZlibChecks(pieced.Body));
        Assert.Equal(whole.Headers["kwargsrepr"], pieced.Headers["kwargsrepr"]);
        Assert.Equal(whole.Headers.Keys.Order(), pieced.Headers.Keys.Order());

        var wrongChecksum = pieced.Body.ToArray();
        wrongChecksum[^1] ^= 1;
        Assert.Throws<InvalidDataException>(() => InflateWithZlibChecks(wrongChecksum));
    }

    [Fact]
    public void A_stored_value_reads_back_and_the_cache_writes_each_key_once()
    {
        var directory = Directory.CreateTempSubdirectory("body-cache-").FullName;
        try
        {
            var cache = new ResultBodyCache(directory);
            var writes = 0;
            byte[] Write()
            {
                writes++;
                return ResultJson(3);
            }

            var key = ResultBodyCache.Key("seed 1|job 0|image 5");
            var first = cache.GetOrAdd(key, Write);
            var second = cache.GetOrAdd(key, Write);

            Assert.Equal(1, writes);
            Assert.Equal(ResultJson(3).Length, second.CompactBytes);
            Assert.Equal(first.ResultData.Text, second.ResultData.Text);
            Assert.Equal(first.ResultData.Deflated, second.ResultData.Deflated);
            Assert.Equal(first.ResultData.ReprSkeleton, second.ResultData.ReprSkeleton);
            Assert.Equal(first.ResultData.TextAdler32, second.ResultData.TextAdler32);
            Assert.Throws<InvalidDataException>(() => PrecompressedJson.Read(new byte[9]));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    // Strings hold the separators Python's layout must leave alone.
    private static byte[] ResultJson(int labels)
    {
        var scores = string.Join(',', Enumerable.Range(0, labels).Select(i => (i * 0.000137).ToString("R", System.Globalization.CultureInfo.InvariantCulture)));
        return Encoding.UTF8.GetBytes($$"""{"pipeline":"moths, \"2024\": v1","detections":[{"bbox":{"x1":1.5,"y1":2.0},"scores":[{{scores}}]}],"errors":null}""");
    }

    // ZLibStream checks the header and the Adler-32 trailer; a wrong checksum throws.
    private static string InflateWithZlibChecks(byte[] body)
    {
        Assert.Equal(0x78, body[0]);
        Assert.Equal(0, ((body[0] << 8) | body[1]) % 31);
        using var input = new ZLibStream(new MemoryStream(body), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return Encoding.UTF8.GetString(output.ToArray());
    }
}
