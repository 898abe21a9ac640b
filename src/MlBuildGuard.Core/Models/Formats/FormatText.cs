using System.Text;

namespace MlBuildGuard.Core.Models.Formats;

/// <summary>Text helpers every format reader shares: how names from a file are shown, and how numbers in text are read.</summary>
internal static class FormatText
{
    /// <summary>Longest name shown in a message; the rest is cut and marked with an ellipsis.</summary>
    public const int MaxShown = 200;

    /// <summary>Records the format for the view unless the caller (the scanner's dispatch) already did.</summary>
    public static void RecogniseOnce(ModelScanContext context, string view, string format)
    {
        if (!context.Recognised.Contains((view, format)))
        {
            context.Recognise(view, format);
        }
    }

    /// <summary>
    /// A name from a file, fit for a one-line message: control characters, line and paragraph separators and the
    /// bidirectional controls that can make text read differently than it is (Trojan Source) are escaped as <c>\uXXXX</c>
    /// (<c>\0</c> for NUL), and at most <see cref="MaxShown"/> characters are kept.
    /// </summary>
    public static string Printable(string text)
    {
        var sb = new StringBuilder(Math.Min(text.Length, MaxShown) + 8);
        foreach (var c in text)
        {
            if (sb.Length >= MaxShown)
            {
                sb.Append('…');
                break;
            }

            if (c == '\0')
            {
                sb.Append("\\0");
            }
            else if (NeedsEscape(c))
            {
                sb.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }

    private static bool NeedsEscape(char c) =>
        char.IsControl(c) || c is '\u2028' or '\u2029' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069') or '\u200E' or '\u200F' or '\u061C';

    /// <summary>True when the text is one or more ASCII digits and nothing else (no sign, space, '_' or exponent).</summary>
    public static bool IsPlainNonNegativeInteger(ReadOnlySpan<byte> text)
    {
        if (text.IsEmpty)
        {
            return false;
        }

        foreach (var b in text)
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Parses a plain digit string; false when it is not one or exceeds <see cref="ulong.MaxValue"/>.</summary>
    public static bool TryParsePlainUInt64(ReadOnlySpan<byte> text, out ulong value)
    {
        value = 0;
        if (!IsPlainNonNegativeInteger(text))
        {
            return false;
        }

        foreach (var b in text)
        {
            var digit = (ulong)(b - '0');
            if (value > (ulong.MaxValue - digit) / 10)
            {
                return false;
            }

            value = (value * 10) + digit;
        }

        return true;
    }
}
