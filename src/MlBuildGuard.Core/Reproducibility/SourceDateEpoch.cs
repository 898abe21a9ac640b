using System.Globalization;

namespace MlBuildGuard.Core.Reproducibility;

/// <summary>
/// Turns a <c>SOURCE_DATE_EPOCH</c> value (reproducible-builds.org: integer seconds since 1970-01-01T00:00:00Z) into the
/// one timestamp written into every normalized zip header. Zip headers hold MS-DOS date/time, which only covers
/// 1980-01-01 to 2107-12-31 in steps of two seconds, so the value is clamped into that range and rounded down to an even
/// second: every later step can then store it exactly, and two builds with the same value write the same bytes.
/// </summary>
public static class SourceDateEpoch
{
    /// <summary>The earliest DOS time, used when no <c>SOURCE_DATE_EPOCH</c> is set.</summary>
    public static readonly DateTimeOffset Minimum = new(1980, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The latest DOS time (its seconds field counts in twos, so :58 is the last one).</summary>
    public static readonly DateTimeOffset Maximum = new(2107, 12, 31, 23, 59, 58, TimeSpan.Zero);

    /// <summary>
    /// Resolves a <c>SOURCE_DATE_EPOCH</c> value. Null or empty means "not set" and gives <see cref="Minimum"/>; a decimal
    /// integer (optionally signed, ASCII digits only) is clamped into the DOS range and rounded down to an even second.
    /// </summary>
    /// <exception cref="FormatException">The value is not a decimal integer; the message names the value.</exception>
    public static DateTimeOffset Resolve(string? sourceDateEpochValue)
    {
        if (string.IsNullOrEmpty(sourceDateEpochValue))
        {
            return Minimum;
        }

        var digits = sourceDateEpochValue.AsSpan();
        var negative = digits[0] == '-';
        if (digits[0] is '-' or '+')
        {
            digits = digits[1..];
        }

        if (digits.IsEmpty || digits.ContainsAnyExceptInRange('0', '9'))
        {
            throw new FormatException(
                $"SOURCE_DATE_EPOCH must be a whole number of seconds since 1970-01-01T00:00:00Z (for example 1700000000), but is '{sourceDateEpochValue}'.");
        }

        var min = Minimum.ToUnixTimeSeconds();
        var max = Maximum.ToUnixTimeSeconds();
        long seconds;
        if (negative)
        {
            seconds = min;
        }
        else if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out seconds) || seconds > max)
        {
            seconds = max;
        }

        seconds = Math.Clamp(seconds, min, max);
        return DateTimeOffset.FromUnixTimeSeconds(seconds - (seconds & 1));
    }
}
