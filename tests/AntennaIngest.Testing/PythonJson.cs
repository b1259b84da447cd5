namespace AntennaIngest.Testing;

/// <summary>JSON laid out as Python's <c>json.dumps</c> (and so kombu) writes it: ", " and ": " between tokens.</summary>
public static class PythonJson
{
    /// <summary>The same JSON with Python's default separators; strings and existing spacing are left as they are.</summary>
    public static byte[] WithPythonSeparators(ReadOnlySpan<byte> compact)
    {
        var output = new byte[compact.Length + Layout(compact, [])];
        Layout(compact, output);
        return output;
    }

    // Copies into output when it is large enough; returns the number of spaces added either way.
    private static int Layout(ReadOnlySpan<byte> json, Span<byte> output)
    {
        var copy = output.Length > 0;
        var at = 0;
        var added = 0;
        var inString = false;
        var escaped = false;
        for (var i = 0; i < json.Length; i++)
        {
            var b = json[i];
            if (copy)
            {
                output[at++] = b;
            }

            if (inString)
            {
                (escaped, inString) = escaped ? (false, true) : (b == '\\', b != '"');
            }
            else if (b == '"')
            {
                inString = true;
            }
            else if (b is (byte)',' or (byte)':' && (i + 1 == json.Length || json[i + 1] is not ((byte)' ' or (byte)'\n')))
            {
                added++;
                if (copy)
                {
                    output[at++] = (byte)' ';
                }
            }
        }

        return added;
    }
}
