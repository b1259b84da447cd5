using System.Globalization;
using System.Text.Json;

namespace AntennaIngest.Core.Decoding;

/// <summary>
/// Field validators with pydantic v1's coercion rules (what Antenna's schemas accept): numbers
/// become strings for `str` fields, numeric strings and booleans become floats, the usual
/// spellings become booleans, kombu's type envelopes are unwrapped. Each failure names the
/// field's path.
/// </summary>
internal static class PydanticFields
{
    /// <summary>kombu ≥ 5.3 wraps datetimes (and a few other types) as {"__type__": ..., "__value__": ...}.</summary>
    public static JsonElement Unwrap(JsonElement element)
    {
        while (element.ValueKind == JsonValueKind.Object)
        {
            var count = 0;
            JsonElement value = default;
            var hasType = false;
            var hasValue = false;
            foreach (var property in element.EnumerateObject())
            {
                count++;
                if (property.NameEquals("__type__"))
                {
                    hasType = true;
                }
                else if (property.NameEquals("__value__"))
                {
                    hasValue = true;
                    value = property.Value;
                }
            }

            if (count != 2 || !hasType || !hasValue)
            {
                return element;
            }

            element = value;
        }

        return element;
    }

    public static JsonElement? Optional(JsonElement obj, string name)
    {
        if (obj.TryGetProperty(name, out var value))
        {
            value = Unwrap(value);
            return value.ValueKind == JsonValueKind.Null ? null : value;
        }

        return null;
    }

    /// <summary>A field with a default that is not Optional: absent is fine, an explicit null is not.</summary>
    public static JsonElement? Defaulted(JsonElement obj, string name, string path)
    {
        if (!obj.TryGetProperty(name, out var value))
        {
            return null;
        }

        value = Unwrap(value);
        return value.ValueKind == JsonValueKind.Null ? throw new InvalidFieldException(Join(path, name), "none is not an allowed value") : value;
    }

    public static JsonElement Required(JsonElement obj, string name, string path)
    {
        if (!obj.TryGetProperty(name, out var value))
        {
            throw new InvalidFieldException(Join(path, name), "field required");
        }

        value = Unwrap(value);
        if (value.ValueKind == JsonValueKind.Null)
        {
            throw new InvalidFieldException(Join(path, name), "none is not an allowed value");
        }

        return value;
    }

    public static JsonElement RequireObject(JsonElement element, string path)
    {
        element = Unwrap(element);
        return element.ValueKind == JsonValueKind.Object ? element : throw new InvalidFieldException(path, "value is not a valid dict");
    }

    public static string String(JsonElement element, string path)
    {
        element = Unwrap(element);
        return element.ValueKind switch
        {
            JsonValueKind.String => element.GetString()!,
            JsonValueKind.Number => PythonNumberText(element),
            JsonValueKind.True => "True",
            JsonValueKind.False => "False",
            _ => throw new InvalidFieldException(path, "str type expected"),
        };
    }

    public static string? OptionalString(JsonElement obj, string name, string path) =>
        Optional(obj, name) is { } value ? String(value, Join(path, name)) : null;

    public static double Float(JsonElement element, string path)
    {
        element = Unwrap(element);
        double value;
        switch (element.ValueKind)
        {
            case JsonValueKind.Number:
                value = element.GetDouble();
                break;
            case JsonValueKind.String when double.TryParse(element.GetString()!.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed):
                value = parsed;
                break;
            case JsonValueKind.True:
                value = 1;
                break;
            case JsonValueKind.False:
                value = 0;
                break;
            default:
                throw new InvalidFieldException(path, "value is not a valid float");
        }

        // pydantic v1 would take "nan" and "inf"; a score or a box coordinate cannot be stored as one.
        return double.IsFinite(value) ? value : throw new InvalidFieldException(path, "value is not a finite float");
    }

    public static double? OptionalFloat(JsonElement obj, string name, string path) =>
        Optional(obj, name) is { } value ? Float(value, Join(path, name)) : null;

    public static bool Bool(JsonElement element, string path)
    {
        element = Unwrap(element);
        switch (element.ValueKind)
        {
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
            case JsonValueKind.Number when element.TryGetInt64(out var number) && number is 0 or 1:
                return number == 1;
            case JsonValueKind.String:
                switch (element.GetString()!.ToUpperInvariant())
                {
                    case "1" or "ON" or "T" or "TRUE" or "Y" or "YES":
                        return true;
                    case "0" or "OFF" or "F" or "FALSE" or "N" or "NO":
                        return false;
                }

                break;
        }

        throw new InvalidFieldException(path, "value could not be parsed to a boolean");
    }

    public static long Integer(JsonElement element, string path)
    {
        element = Unwrap(element);
        if (element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out var number))
        {
            return number;
        }

        if (element.ValueKind == JsonValueKind.String && long.TryParse(element.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out number))
        {
            return number;
        }

        throw new InvalidFieldException(path, "value is not a valid integer");
    }

    public static JsonElement List(JsonElement element, string path)
    {
        element = Unwrap(element);
        return element.ValueKind == JsonValueKind.Array ? element : throw new InvalidFieldException(path, "value is not a valid list");
    }

    public static double[] FloatList(JsonElement element, string path)
    {
        element = List(element, path);
        var values = new double[element.GetArrayLength()];
        var i = 0;
        foreach (var item in element.EnumerateArray())
        {
            values[i] = item.ValueKind == JsonValueKind.Number && item.TryGetDouble(out var fast) && double.IsFinite(fast)
                ? fast
                : Float(item, Index(path, i));
            i++;
        }

        return values;
    }

    public static List<string> StringList(JsonElement element, string path)
    {
        element = List(element, path);
        var values = new List<string>(element.GetArrayLength());
        var i = 0;
        foreach (var item in element.EnumerateArray())
        {
            values.Add(String(item, Index(path, i++)));
        }

        return values;
    }

    public static string Join(string path, string name) => path.Length == 0 ? name : path + "." + name;

    public static string Index(string path, int index) => path + "[" + index.ToString(CultureInfo.InvariantCulture) + "]";

    // Python's str() of the number pydantic received: ints as digits, floats as repr (1.0, 1e-05).
    private static string PythonNumberText(JsonElement element)
    {
        if (element.TryGetInt64(out var integer))
        {
            return integer.ToString(CultureInfo.InvariantCulture);
        }

        var text = element.GetRawText();
        if (text.AsSpan().IndexOfAny(".eE") < 0)
        {
            return text; // an integer beyond long: Python keeps every digit
        }

        return Planning.PythonFloat.Repr(element.GetDouble());
    }
}
