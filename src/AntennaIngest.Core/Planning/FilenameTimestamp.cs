using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace AntennaIngest.Core.Planning;

/// <summary>
/// Antenna's get_image_timestamp_from_filename without its dateutil fallback: the first match of
/// four patterns in the file's stem, digits only, parsed as strptime("%Y%m%d%H%M%S") or, for 12
/// digits, strptime("%y%m%d%H%M%S"). A naive wall-clock time (Antenna runs with USE_TZ=False).
/// </summary>
public static partial class FilenameTimestamp
{
    public static DateTime? Parse(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var match = Patterns().Match(Stem(path));
        if (!match.Success)
        {
            return null;
        }

        var digits = new StringBuilder(14);
        foreach (var c in match.Value)
        {
            // Python's \d is any Unicode decimal digit; so is .NET's.
            if (char.IsDigit(c))
            {
                digits.Append(c);
            }
        }

        return digits.Length == 12 ? Strptime(ShortYear(), digits.ToString(), twoDigitYear: true) : Strptime(LongYear(), digits.ToString(), twoDigitYear: false);
    }

    /// <summary>pathlib.PurePosixPath(path).stem: the last non-empty, non-"." part without its last suffix.</summary>
    internal static string Stem(string path)
    {
        var name = "";
        foreach (var part in path.Split('/'))
        {
            if (part.Length > 0 && part != ".")
            {
                name = part;
            }
        }

        var dot = name.LastIndexOf('.');
        return dot > 0 && dot < name.Length - 1 ? name[..dot] : name;
    }

    // _strptime's regex is matched from the start and must consume everything ("unconverted data
    // remains" otherwise); its alternatives are tried in order, so "13" as a month is "1" and the
    // rest shifts, exactly as in Python. Literal digits in the alternatives are ASCII, \d is not.
    private static DateTime? Strptime(Regex format, string digits, bool twoDigitYear)
    {
        var m = format.Match(digits);
        if (!m.Success || m.Length != digits.Length)
        {
            return null;
        }

        var year = Number(m.Groups["Y"].Value);
        if (twoDigitYear)
        {
            year += year <= 68 ? 2000 : 1900;
        }

        var (month, day) = (Number(m.Groups["m"].Value), Number(m.Groups["d"].Value));
        var (hour, minute, second) = (Number(m.Groups["H"].Value), Number(m.Groups["M"].Value), Number(m.Groups["S"].Value));

        // datetime() raises ValueError for these (second 60/61 included); Antenna then gets None.
        if (year < 1 || day > DateTime.DaysInMonth(Math.Max(year, 1), month) || second > 59)
        {
            return null;
        }

        return new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified);
    }

    private static int Number(string digits)
    {
        var value = 0;
        foreach (var c in digits)
        {
            value = (value * 10) + (int)char.GetNumericValue(c);
        }

        return value;
    }

    // consecutive | two groups | delimited | 12 digits not next to another digit, in Antenna's order.
    [GeneratedRegex(@"(\d{14})|(\d{8}[^\d]+\d{6})|(\d{4}[^\d]\d{2}[^\d]\d{2}[^\d]+\d{2}[^\d]\d{2}[^\d]\d{2})|((?<!\d)\d{12}(?!\d))", RegexOptions.CultureInvariant)]
    private static partial Regex Patterns();

    [GeneratedRegex(@"^(?<Y>\d\d\d\d)(?<m>1[0-2]|0[1-9]|[1-9])(?<d>3[0-1]|[1-2]\d|0[1-9]|[1-9]| [1-9])(?<H>2[0-3]|[0-1]\d|\d)(?<M>[0-5]\d|\d)(?<S>6[0-1]|[0-5]\d|\d)", RegexOptions.CultureInvariant)]
    private static partial Regex LongYear();

    [GeneratedRegex(@"^(?<Y>\d\d)(?<m>1[0-2]|0[1-9]|[1-9])(?<d>3[0-1]|[1-2]\d|0[1-9]|[1-9]| [1-9])(?<H>2[0-3]|[0-1]\d|\d)(?<M>[0-5]\d|\d)(?<S>6[0-1]|[0-5]\d|\d)", RegexOptions.CultureInvariant)]
    private static partial Regex ShortYear();
}
