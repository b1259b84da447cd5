using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using AntennaIngest.Core.Contracts;

namespace AntennaIngest.Core.Decoding;

/// <summary>
/// pydantic v1's datetime parsing: ISO-8601 with `T` or a space, optional seconds and fraction
/// (first six digits kept), optional `Z`/±HH[:MM] offset; numbers (and numeric strings) are unix
/// times, in milliseconds when above 2e10, and aware (UTC). A date alone is rejected.
/// </summary>
internal static partial class PydanticDateTime
{
    private const double MillisecondWatershed = 2e10;

    public static ResultTimestamp Parse(JsonElement element, string path)
    {
        element = PydanticFields.Unwrap(element);
        if (element.ValueKind == JsonValueKind.Number)
        {
            return FromUnix(element.GetDouble(), path);
        }

        if (element.ValueKind != JsonValueKind.String)
        {
            throw new InvalidFieldException(path, "invalid datetime format");
        }

        var text = element.GetString()!;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var unix))
        {
            return FromUnix(unix, path);
        }

        var match = IsoDateTime().Match(text);
        if (!match.Success)
        {
            throw new InvalidFieldException(path, "invalid datetime format");
        }

        try
        {
            var fraction = match.Groups["f"].Success ? match.Groups["f"].Value.PadRight(6, '0') : "0";
            var local = new DateTime(
                Number(match, "y"),
                Number(match, "mo"),
                Number(match, "d"),
                Number(match, "h"),
                Number(match, "mi"),
                match.Groups["s"].Success ? Number(match, "s") : 0,
                DateTimeKind.Unspecified).AddTicks(int.Parse(fraction, CultureInfo.InvariantCulture) * 10L);
            if (!match.Groups["tz"].Success)
            {
                return new ResultTimestamp(local, IsoFormat(local, null));
            }

            var offset = ParseOffset(match.Groups["tz"].Value);
            var instant = DateTime.SpecifyKind(local - offset, DateTimeKind.Utc);
            return new ResultTimestamp(instant, IsoFormat(local, offset));
        }
        catch (ArgumentOutOfRangeException)
        {
            throw new InvalidFieldException(path, "invalid datetime format");
        }
    }

    private static ResultTimestamp FromUnix(double seconds, string path)
    {
        if (!double.IsFinite(seconds))
        {
            throw new InvalidFieldException(path, "invalid datetime format");
        }

        if (Math.Abs(seconds) > MillisecondWatershed)
        {
            seconds /= 1000;
        }

        try
        {
            var instant = DateTime.UnixEpoch.AddTicks((long)Math.Round(seconds * 1_000_000) * 10);
            return new ResultTimestamp(instant, IsoFormat(instant, TimeSpan.Zero));
        }
        catch (ArgumentOutOfRangeException)
        {
            throw new InvalidFieldException(path, "invalid datetime format");
        }
    }

    private static TimeSpan ParseOffset(string tz)
    {
        if (tz == "Z")
        {
            return TimeSpan.Zero;
        }

        var sign = tz[0] == '-' ? -1 : 1;
        var digits = tz[1..].Replace(":", string.Empty, StringComparison.Ordinal);
        var hours = int.Parse(digits[..2], CultureInfo.InvariantCulture);
        var minutes = digits.Length > 2 ? int.Parse(digits[2..], CultureInfo.InvariantCulture) : 0;
        var offset = new TimeSpan(hours, minutes, 0);
        if (offset >= TimeSpan.FromDays(1))
        {
            throw new ArgumentOutOfRangeException(nameof(tz));
        }

        return sign * offset;
    }

    /// <summary>Python's datetime.isoformat(): microseconds only when non-zero, offset as ±HH:MM.</summary>
    public static string IsoFormat(DateTime wallClock, TimeSpan? offset)
    {
        var builder = new StringBuilder(32);
        builder.Append(wallClock.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture));
        var microseconds = (wallClock.Ticks % TimeSpan.TicksPerSecond) / 10;
        if (microseconds != 0)
        {
            builder.Append('.').Append(microseconds.ToString("D6", CultureInfo.InvariantCulture));
        }

        if (offset is { } value)
        {
            builder.Append(value < TimeSpan.Zero ? '-' : '+').Append(value.Duration().ToString(@"hh\:mm", CultureInfo.InvariantCulture));
        }

        return builder.ToString();
    }

    private static int Number(Match match, string group) => int.Parse(match.Groups[group].Value, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^(?<y>\d{4})-(?<mo>\d{1,2})-(?<d>\d{1,2})[T ](?<h>\d{1,2}):(?<mi>\d{1,2})(?::(?<s>\d{1,2})(?:\.(?<f>\d{1,6})\d*)?)?(?<tz>Z|[+-]\d{2}(?::?\d{2})?)?$", RegexOptions.CultureInvariant)]
    private static partial Regex IsoDateTime();
}
