using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace AntennaIngest.Testing;

/// <summary>
/// Python's text for values a Celery client sends, so the workload's messages carry what
/// Antenna's would: <see cref="OfDouble"/> is <c>repr(float)</c> (what kombu's JSON writes), and
/// <see cref="SafeRepr"/> is Celery's <c>saferepr(kwargs, 1024)</c>, the <c>kwargsrepr</c> header
/// (celery/utils/saferepr.py: a streaming repr that shows three levels of nesting, cuts strings
/// and the whole text at the length budget, then closes the open brackets). Written from that
/// behaviour for JSON values; tests/celery/compare-enqueuer.sh checks it against Celery itself.
/// </summary>
public static class PythonRepr
{
    /// <summary><c>repr(value)</c> of a Python float: shortest round-trip digits, exponent below 1e-4 and from 1e16.</summary>
    public static string OfDouble(double value)
    {
        if (double.IsNaN(value))
        {
            return "NaN";
        }

        if (double.IsInfinity(value))
        {
            return value > 0 ? "Infinity" : "-Infinity";
        }

        var sign = value < 0 || (value == 0 && double.IsNegative(value)) ? "-" : string.Empty;
        var text = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);
        var e = text.IndexOf('E', StringComparison.Ordinal);
        var mantissa = e >= 0 ? text[..e] : text;
        var exponent = e >= 0 ? int.Parse(text[(e + 1)..], CultureInfo.InvariantCulture) : 0;
        var dot = mantissa.IndexOf('.', StringComparison.Ordinal);
        var whole = dot >= 0 ? mantissa[..dot] : mantissa;
        var allDigits = whole + (dot >= 0 ? mantissa[(dot + 1)..] : string.Empty);
        var digits = allDigits.TrimStart('0');
        if (digits.Length == 0)
        {
            return sign + "0.0";
        }

        // value = 0.<digits> × 10^point
        var point = whole.Length + exponent - (allDigits.Length - digits.Length);
        digits = digits.TrimEnd('0');
        var x = point - 1;
        if (x is < -4 or >= 16)
        {
            var rest = digits.Length > 1 ? "." + digits[1..] : string.Empty;
            return string.Create(CultureInfo.InvariantCulture, $"{sign}{digits[0]}{rest}e{(x < 0 ? '-' : '+')}{Math.Abs(x):00}");
        }

        if (point <= 0)
        {
            return sign + "0." + new string('0', -point) + digits;
        }

        return point >= digits.Length
            ? sign + digits + new string('0', point - digits.Length) + ".0"
            : sign + digits[..point] + "." + digits[point..];
    }

    /// <summary>
    /// A small JSON value whose <see cref="SafeRepr"/> equals that of <paramref name="json"/> wherever
    /// the repr shows only its first <paramref name="shownDepth"/> levels of containers and no more
    /// than <paramref name="maxTokens"/> of its tokens: deeper containers print as <c>{...}</c> or
    /// <c>[...]</c> whatever they hold, so they are emptied (datetime objects, which print in full,
    /// are kept), and every token shown costs at least one character of the repr's budget, so the
    /// value is cut after <paramref name="maxTokens"/> tokens. The benchmark's enqueue computes each
    /// message's <c>kwargsrepr</c> from it instead of parsing ~190 KB of result JSON per message.
    /// </summary>
    public static byte[] ReprSkeleton(ReadOnlySpan<byte> json, int shownDepth, int maxTokens = 4096)
    {
        var reader = new Utf8JsonReader(json);
        var output = new ArrayBufferWriter<byte>(1024);
        var open = new Stack<bool>(); // true: an object
        var afterName = false;
        using (var writer = new Utf8JsonWriter(output, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            for (var tokens = 0; tokens < maxTokens && reader.Read(); tokens++)
            {
                afterName = reader.TokenType == JsonTokenType.PropertyName;
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject or JsonTokenType.StartArray when reader.CurrentDepth >= shownDepth:
                        var isObject = reader.TokenType == JsonTokenType.StartObject;
                        var start = (int)reader.TokenStartIndex;
                        if (SkipContainer(ref reader) && isObject)
                        {
                            var raw = json[start..(int)reader.BytesConsumed];
                            writer.WriteRawValue(raw, skipInputValidation: true);
                        }
                        else if (isObject)
                        {
                            writer.WriteStartObject();
                            writer.WriteEndObject();
                        }
                        else
                        {
                            writer.WriteStartArray();
                            writer.WriteEndArray();
                        }

                        break;
                    case JsonTokenType.StartObject:
                        writer.WriteStartObject();
                        open.Push(true);
                        break;
                    case JsonTokenType.StartArray:
                        writer.WriteStartArray();
                        open.Push(false);
                        break;
                    case JsonTokenType.EndObject:
                        writer.WriteEndObject();
                        open.Pop();
                        break;
                    case JsonTokenType.EndArray:
                        writer.WriteEndArray();
                        open.Pop();
                        break;
                    case JsonTokenType.PropertyName:
                        writer.WritePropertyName(reader.GetString()!);
                        break;
                    case JsonTokenType.String:
                        writer.WriteStringValue(reader.GetString());
                        break;
                    case JsonTokenType.Number:
                        writer.WriteRawValue(reader.ValueSpan, skipInputValidation: true);
                        break;
                    case JsonTokenType.True or JsonTokenType.False:
                        writer.WriteBooleanValue(reader.TokenType == JsonTokenType.True);
                        break;
                    default:
                        writer.WriteNullValue();
                        break;
                }
            }

            // Cut short: close what is open (beyond anything the repr can show).
            if (afterName)
            {
                writer.WriteNullValue();
            }

            while (open.TryPop(out var isObject))
            {
                if (isObject)
                {
                    writer.WriteEndObject();
                }
                else
                {
                    writer.WriteEndArray();
                }
            }
        }

        return output.WrittenSpan.ToArray();
    }

    // Reads past the container the reader is on; true when one of its own keys is "__type__" (a
    // kombu datetime, which SafeRepr prints in full at any depth). One pass, as Skip would read.
    private static bool SkipContainer(ref Utf8JsonReader reader)
    {
        var depth = reader.CurrentDepth;
        var typed = false;
        while (reader.Read() && reader.CurrentDepth > depth)
        {
            typed |= reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == depth + 1 && reader.ValueTextEquals("__type__"u8);
        }

        return typed;
    }

    /// <summary>Celery's <c>saferepr(value, maxLength, maxLevels)</c> of a JSON value as Python holds it after kombu.</summary>
    public static string SafeRepr(JsonElement value, int maxLength = 1024, int maxLevels = 3)
    {
        var output = new StringBuilder();
        var frames = new Stack<IEnumerator<object>>();
        frames.Push(((IEnumerable<object>)[value]).GetEnumerator());
        var budget = maxLength;
        var level = 0;
        while (TryNext(frames, out var token))
        {
            string text;
            switch (token)
            {
                case Dirty:
                    continue;
                case Literal literal:
                    level += literal.Direction;
                    if (budget <= 0)
                    {
                        return Close(output, frames);
                    }

                    text = literal.Value;
                    break;
                case Key key:
                    if (budget <= 0)
                    {
                        return Close(output, frames);
                    }

                    text = Quoted(key.Value, budget);
                    break;
                default:
                    var element = (JsonElement)token;
                    if (element.ValueKind is JsonValueKind.Object or JsonValueKind.Array && !IsDateTime(element, out _))
                    {
                        var isObject = element.ValueKind == JsonValueKind.Object;
                        if (maxLevels > 0 && level >= maxLevels)
                        {
                            if (budget <= 0)
                            {
                                return Close(output, frames);
                            }

                            text = Truncate(isObject ? "{...}" : "[...]", budget);
                            break;
                        }

                        frames.Push(Expand(element).GetEnumerator());
                        continue;
                    }

                    if (budget <= 0)
                    {
                        return Close(output, frames);
                    }

                    text = element.ValueKind == JsonValueKind.String ? Quoted(element.GetString()!, budget) : Truncate(Scalar(element), budget);
                    break;
            }

            output.Append(text);
            budget -= text.Length;
        }

        return output.ToString();
    }

    private sealed record Literal(string Value, bool Truncate, int Direction);

    private sealed record Key(string Value);

    private sealed record Dirty;

    private static readonly Literal s_dictStart = new("{", false, +1);
    private static readonly Literal s_dictEnd = new("}", false, -1);
    private static readonly Literal s_listStart = new("[", false, +1);
    private static readonly Literal s_listEnd = new("]", false, -1);
    private static readonly Literal s_keySeparator = new(": ", true, 0);
    private static readonly Literal s_separator = new(", ", true, 0);
    private static readonly Dirty s_dirty = new();

    private static IEnumerable<object> Expand(JsonElement container)
    {
        if (container.ValueKind == JsonValueKind.Object)
        {
            yield return s_dictStart;
            var first = true;
            foreach (var property in container.EnumerateObject())
            {
                if (!first)
                {
                    yield return s_separator;
                }

                first = false;
                yield return new Key(property.Name);
                yield return s_keySeparator;
                yield return property.Value;
            }

            yield return s_dirty;
            yield return s_dictEnd;
            yield break;
        }

        yield return s_listStart;
        var firstItem = true;
        foreach (var item in container.EnumerateArray())
        {
            if (!firstItem)
            {
                yield return s_separator;
            }

            firstItem = false;
            yield return item;
        }

        yield return s_dirty;
        yield return s_listEnd;
    }

    private static bool TryNext(Stack<IEnumerator<object>> frames, out object token)
    {
        while (frames.Count > 0)
        {
            if (frames.Peek().MoveNext())
            {
                token = frames.Peek().Current;
                return true;
            }

            frames.Pop();
        }

        token = null!;
        return false;
    }

    // Past the budget Celery writes ", ..." and then every bracket still open, innermost first.
    private static string Close(StringBuilder output, Stack<IEnumerator<object>> frames)
    {
        output.Append(", ...");
        while (TryNext(frames, out var token))
        {
            if (token is Literal { Truncate: false } literal)
            {
                output.Append(literal.Value);
            }
        }

        return output.ToString();
    }

    private static string Scalar(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.True => "True",
        JsonValueKind.False => "False",
        JsonValueKind.Null => "None",
        JsonValueKind.Number => element.GetRawText(), // kombu wrote Python's own str() of the number
        _ => IsDateTime(element, out var time) ? time : element.GetRawText(),
    };

    // kombu 5.4 sends datetimes as {"__type__": "datetime", "__value__": iso}; the task holds a datetime.
    private static bool IsDateTime(JsonElement element, out string repr)
    {
        repr = string.Empty;
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty("__type__", out var type) || type.ValueKind != JsonValueKind.String
            || type.GetString() != "datetime" || !element.TryGetProperty("__value__", out var value)
            || !DateTime.TryParse(value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var time))
        {
            return false;
        }

        var micro = (int)(time.Ticks % TimeSpan.TicksPerSecond / 10);
        var tail = micro != 0 ? $", {time.Second}, {micro}" : time.Second != 0 ? $", {time.Second}" : string.Empty;
        repr = string.Create(CultureInfo.InvariantCulture, $"datetime.datetime({time.Year}, {time.Month}, {time.Day}, {time.Hour}, {time.Minute}{tail})");
        return true;
    }

    private static string Quoted(string text, int budget) => "'" + Truncate(text, budget).Replace("'", "\\'", StringComparison.Ordinal) + "'";

    // celery.utils.text.truncate: at the budget, cut back to the last space and add "...".
    private static string Truncate(string text, int budget)
    {
        if (budget <= 0 || text.Length < budget)
        {
            return text;
        }

        var cut = text[..budget];
        var space = cut.LastIndexOf(' ');
        return (space >= 0 ? cut[..space] : cut) + "...";
    }
}
