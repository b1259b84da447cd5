using System.Globalization;
using System.Text;

namespace AntennaIngest.Core.Planning;

/// <summary>
/// Python's <c>repr(float)</c> (what <c>json.dumps</c> writes for a float): the shortest digits
/// that round-trip, fixed notation while the decimal exponent is in [-4, 16), otherwise
/// <c>1e-05</c> style with a signed, at least two-digit exponent; integral values keep ".0".
/// Antenna stores bounding boxes as that text in jsonb, and jsonb keeps a number's scale
/// (<c>10.0</c> and <c>10</c> compare equal but print differently), so the text matters.
/// </summary>
public static class PythonFloat
{
    public static string Repr(double value)
    {
        if (double.IsNaN(value))
        {
            return "NaN";
        }

        if (double.IsInfinity(value))
        {
            return value > 0 ? "Infinity" : "-Infinity";
        }

        if (value == 0)
        {
            return double.IsNegative(value) ? "-0.0" : "0.0";
        }

        var (digits, decimalPoint) = ShortestDigits(Math.Abs(value));
        var builder = new StringBuilder(digits.Length + 8);
        if (value < 0)
        {
            builder.Append('-');
        }

        // CPython's format_float_short: scientific when decpt <= -4 or decpt > 16, where the
        // value is 0.DIGITS x 10^decpt.
        if (decimalPoint <= -4 || decimalPoint > 16)
        {
            builder.Append(digits[0]);
            if (digits.Length > 1)
            {
                builder.Append('.').Append(digits, 1, digits.Length - 1);
            }

            var exponent = decimalPoint - 1;
            builder.Append('e').Append(exponent < 0 ? '-' : '+');
            builder.Append(Math.Abs(exponent).ToString("00", CultureInfo.InvariantCulture));
        }
        else if (decimalPoint <= 0)
        {
            builder.Append("0.").Append('0', -decimalPoint).Append(digits);
        }
        else if (decimalPoint < digits.Length)
        {
            builder.Append(digits, 0, decimalPoint).Append('.').Append(digits, decimalPoint, digits.Length - decimalPoint);
        }
        else
        {
            builder.Append(digits).Append('0', decimalPoint - digits.Length).Append(".0");
        }

        return builder.ToString();
    }

    /// <summary>The shortest round-trip significant digits of a positive finite value and the position of its decimal point.</summary>
    private static (string Digits, int DecimalPoint) ShortestDigits(double value)
    {
        // .NET's default formatting is the shortest round-trippable string (as CPython's dtoa
        // mode 0); only its notation differs, so take its digits and exponent apart.
        var text = value.ToString("R", CultureInfo.InvariantCulture);
        var exponent = 0;
        var e = text.IndexOfAny(['E', 'e']);
        if (e >= 0)
        {
            exponent = int.Parse(text.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            text = text[..e];
        }

        var dot = text.IndexOf('.', StringComparison.Ordinal);
        var integerDigits = dot < 0 ? text.Length : dot;
        var all = dot < 0 ? text : string.Concat(text.AsSpan(0, dot), text.AsSpan(dot + 1));
        var leadingZeros = 0;
        while (leadingZeros < all.Length - 1 && all[leadingZeros] == '0')
        {
            leadingZeros++;
        }

        var digits = all[leadingZeros..].TrimEnd('0');
        if (digits.Length == 0)
        {
            digits = "0";
        }

        return (digits, integerDigits - leadingZeros + exponent);
    }
}
