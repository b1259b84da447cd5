using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using AntennaIngest.Core.Decoding;
using static AntennaIngest.UnitTests.Decoding.Messages;

namespace AntennaIngest.UnitTests.Decoding;

/// <summary>
/// Thousands of seeded mutations of valid messages, at the byte level and in the JSON structure:
/// the decoder always answers (a task or a rejection), never throws and never hangs.
/// </summary>
public sealed class DecoderFuzzTests
{
    private const int Iterations = 3000;
    private static readonly TimeSpan s_hangBound = TimeSpan.FromSeconds(5);

    private static readonly byte[] s_valid = ProcessKwargs(Success(string.Join(", ",
        Detection(", \"classifications\": [{\"classification\": \"a\", \"scores\": [0.1, 0.9], \"logits\": [1, 2], \"labels\": [\"a\", \"b\"], \"terminal\": false, \"algorithm\": {\"name\": \"C\", \"key\": \"c\"}, \"timestamp\": {\"__type__\": \"datetime\", \"__value__\": \"2024-06-01T02:13:44.5+00:00\"}}]"),
        Detection())));

    [Fact]
    public void Byte_mutations_of_plain_and_compressed_bodies_always_decode_to_a_result()
    {
        var random = new Random(20261124);
        var compressed = Zlib(s_valid);
        var counts = new Dictionary<string, int>();
        for (var i = 0; i < Iterations; i++)
        {
            var zlib = i % 2 == 0;
            var body = MutateBytes(random, zlib ? compressed : s_valid);
            var result = Decode(() => TaskDecoder.DecodeCelery(Celery(compression: zlib ? "zlib" : null), body, Max, DateTimeOffset.UtcNow));
            counts[result.GetType().Name] = counts.GetValueOrDefault(result.GetType().Name) + 1;
        }

        Assert.True(counts.GetValueOrDefault(nameof(RejectedMessage)) > 0);
        Assert.True(counts.GetValueOrDefault(nameof(DecodedTask)) > 0, "some mutations leave the message valid");
    }

    [Fact]
    public void Structural_json_mutations_always_decode_to_a_result()
    {
        var random = new Random(7);
        var decoded = 0;
        for (var i = 0; i < Iterations; i++)
        {
            var root = JsonNode.Parse(s_valid)!;
            for (var m = random.Next(1, 4); m > 0; m--)
            {
                Mutate(random, root);
            }

            var body = Encoding.UTF8.GetBytes(root.ToJsonString());
            var result = Decode(() => i % 3 == 0
                ? TaskDecoder.DecodeJetStreamResult(Encoding.UTF8.GetBytes($"{{\"job_id\": 1, \"reply_subject\": \"r\", \"result\": {(root is JsonArray { Count: > 1 } array && array[1] is JsonObject kwargs ? kwargs["result_data"]?.ToJsonString() : null) ?? "null"}}}"), Max)
                : TaskDecoder.DecodeCelery(Celery(), body, Max, DateTimeOffset.UtcNow));
            decoded += result is DecodedTask ? 1 : 0;
        }

        Assert.InRange(decoded, 1, Iterations - 1);
    }

    [Fact]
    public void Deep_nesting_is_rejected_not_overflowing_the_stack()
    {
        var deep = new string('[', 100_000) + new string(']', 100_000);

        Assert.IsType<RejectedMessage>(Decode(() => TaskDecoder.DecodeCelery(Celery(), Encoding.UTF8.GetBytes(deep), Max, DateTimeOffset.UtcNow)));
    }

    private static DecodeResult Decode(Func<DecodeResult> decode)
    {
        var clock = Stopwatch.StartNew();
        var result = decode();
        Assert.True(clock.Elapsed < s_hangBound, $"a decode took {clock.Elapsed}");

        // Only the body is mutated (the headers name a known, unexpired task), so a decode either
        // succeeds or rejects with a reason that the dead-letter queue and the log can carry.
        switch (result)
        {
            case DecodedTask:
                break;
            case RejectedMessage rejected:
                Assert.False(string.IsNullOrWhiteSpace(rejected.Reason), "a rejection without a reason");
                break;
            default:
                Assert.Fail($"a mutated body decoded as {result.GetType().Name}");
                break;
        }

        return result;
    }

    private static byte[] MutateBytes(Random random, byte[] source)
    {
        var body = (byte[])source.Clone();
        switch (random.Next(4))
        {
            case 0:
                for (var n = random.Next(1, 8); n > 0; n--)
                {
                    body[random.Next(body.Length)] = (byte)random.Next(256);
                }

                return body;
            case 1:
                return body[..random.Next(body.Length)];
            case 2:
                var insert = random.Next(body.Length);
                return [.. body[..insert], .. Encoding.UTF8.GetBytes(random.Next(2) == 0 ? "{" : "\"\\u00"), .. body[insert..]];
            default:
                body[random.Next(body.Length)] ^= (byte)(1 << random.Next(8));
                return body;
        }
    }

    private static void Mutate(Random random, JsonNode root)
    {
        var nodes = new List<JsonNode>();
        Collect(root, nodes);
        var target = nodes[random.Next(nodes.Count)];
        JsonNode? replacement = random.Next(7) switch
        {
            0 => null,
            1 => JsonValue.Create("text"),
            2 => JsonValue.Create(random.NextDouble() * 1e6),
            3 => new JsonArray(JsonValue.Create(1), JsonValue.Create(2)),
            4 => new JsonObject { ["__type__"] = "datetime", ["__value__"] = "2024-01-01" },
            5 => JsonValue.Create(true),
            _ => new JsonObject(),
        };
        switch (target.Parent)
        {
            case JsonObject parent when random.Next(3) == 0:
                parent.Remove(target.GetPropertyName());
                break;
            case JsonObject parent:
                parent[target.GetPropertyName()] = replacement;
                break;
            case JsonArray array when random.Next(3) == 0:
                array.Add(target.DeepClone());
                break;
            case JsonArray array:
                array[target.GetElementIndex()] = replacement;
                break;
        }
    }

    private static void Collect(JsonNode node, List<JsonNode> into)
    {
        if (node.Parent is not null)
        {
            into.Add(node);
        }

        switch (node)
        {
            case JsonObject obj:
                foreach (var (_, child) in obj.ToList())
                {
                    if (child is not null)
                    {
                        Collect(child, into);
                    }
                }

                break;
            case JsonArray array:
                foreach (var child in array.ToList())
                {
                    if (child is not null)
                    {
                        Collect(child, into);
                    }
                }

                break;
        }
    }
}
