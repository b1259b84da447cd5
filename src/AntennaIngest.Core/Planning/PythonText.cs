using System.Text;

namespace AntennaIngest.Core.Planning;

/// <summary>Python's repr() of strings and lists of strings, for job-log lines worded as Antenna's f-strings.</summary>
public static class PythonText
{
    /// <summary>repr(str): single quotes unless the text holds a single quote and no double quote.</summary>
    public static string Repr(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var quote = value.Contains('\'', StringComparison.Ordinal) && !value.Contains('"', StringComparison.Ordinal) ? '"' : '\'';
        var text = new StringBuilder(value.Length + 2).Append(quote);
        foreach (var c in value)
        {
            switch (c)
            {
                case '\\': text.Append("\\\\"); break;
                case '\n': text.Append("\\n"); break;
                case '\r': text.Append("\\r"); break;
                case '\t': text.Append("\\t"); break;
                default:
                    if (c == quote)
                    {
                        text.Append('\\').Append(c);
                    }
                    else if (c < ' ' || c == '\x7f')
                    {
                        text.Append(System.Globalization.CultureInfo.InvariantCulture, $"\\x{(int)c:x2}");
                    }
                    else
                    {
                        text.Append(c);
                    }

                    break;
            }
        }

        return text.Append(quote).ToString();
    }

    /// <summary>repr(list[str]).</summary>
    public static string List(IEnumerable<string> values) => "[" + string.Join(", ", values.Select(Repr)) + "]";
}
