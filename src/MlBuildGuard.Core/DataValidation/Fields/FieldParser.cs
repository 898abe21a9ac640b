using System.Buffers.Text;
using System.Globalization;
using System.Numerics;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace MlBuildGuard.Core.DataValidation;

/// <summary>
/// Casts a cell's text to its field's type and format as Table Schema v1 defines them (logical value from physical
/// text). Built once per field; <see cref="TryParse"/> allocates nothing for the common types.
/// </summary>
public sealed partial class FieldParser
{
    private static readonly string[] DefaultTrueValues = ["true", "True", "TRUE", "1"];
    private static readonly string[] DefaultFalseValues = ["false", "False", "FALSE", "0"];
    private static readonly DateTime Epoch = new(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private readonly FieldType _type;
    private readonly string _format;
    private readonly string[] _trueValues;
    private readonly string[] _falseValues;
    private readonly char _decimalChar;
    private readonly string _groupChar;
    private readonly bool _bareNumber;
    private readonly string? _dotnetPattern; // a date/time format given as a strptime pattern, translated
    private readonly FormatKind _kind; // the format, decided once (cells are many)

    private enum FormatKind
    {
        Default,
        Any,
        Pattern,
        Email,
        Uri,
        Binary,
        Uuid,
        GeoArray,
        GeoObject,
        TopoJson,
    }

    /// <exception cref="ArgumentException">The format is not one this type knows (the schema reader reports it as MLG704).</exception>
    public FieldParser(FieldType type, string? format = null, IReadOnlyList<string>? trueValues = null, IReadOnlyList<string>? falseValues = null,
        char decimalChar = '.', string groupChar = "", bool bareNumber = true)
    {
        _type = type;
        _format = string.IsNullOrEmpty(format) ? "default" : format;
        _trueValues = trueValues?.ToArray() ?? DefaultTrueValues;
        _falseValues = falseValues?.ToArray() ?? DefaultFalseValues;
        _decimalChar = decimalChar;
        _groupChar = groupChar;
        _bareNumber = bareNumber;
        var known = type switch
        {
            FieldType.String => _format is "default" or "email" or "uri" or "binary" or "uuid",
            FieldType.GeoPoint => _format is "default" or "array" or "object",
            FieldType.GeoJson => _format is "default" or "topojson",
            FieldType.Date or FieldType.Time or FieldType.DateTime => true,
            _ => _format == "default",
        };
        if (!known)
        {
            throw new ArgumentException($"'{_format}' is not a format of type '{type.Name()}'");
        }

        _kind = _format switch
        {
            "default" => FormatKind.Default,
            "any" => FormatKind.Any,
            "email" => FormatKind.Email,
            "uri" => FormatKind.Uri,
            "binary" => FormatKind.Binary,
            "uuid" => FormatKind.Uuid,
            "array" => FormatKind.GeoArray,
            "object" => FormatKind.GeoObject,
            "topojson" => FormatKind.TopoJson,
            _ => FormatKind.Pattern,
        };
        if (type is FieldType.Date or FieldType.Time or FieldType.DateTime && _format is not ("default" or "any"))
        {
            _dotnetPattern = StrptimePattern.ToDotNet(_format.StartsWith("fmt:", StringComparison.Ordinal) ? _format[4..] : _format);
        }
    }

    public FieldType Type => _type;

    /// <summary>Whether <paramref name="text"/> is a value of this field's type and format, and that value.</summary>
    public bool TryParse(ReadOnlySpan<char> text, out CellValue value)
    {
        value = CellValue.Text;
        switch (_type)
        {
            case FieldType.String:
                return _kind switch
                {
                    FormatKind.Email => Email().IsMatch(text),
                    FormatKind.Uri => Uri.TryCreate(text.ToString(), UriKind.Absolute, out _),
                    FormatKind.Binary => Base64.IsValid(text),
                    FormatKind.Uuid => Guid.TryParseExact(text, "D", out _),
                    _ => true,
                };
            case FieldType.Integer:
                return TryInteger(_bareNumber ? text : StripNonDigits(text), out value);
            case FieldType.Number:
                return TryNumber(text, out value);
            case FieldType.Boolean:
                foreach (var t in _trueValues)
                {
                    if (text.SequenceEqual(t))
                    {
                        value = CellValue.FromInteger(1);
                        return true;
                    }
                }

                foreach (var f in _falseValues)
                {
                    if (text.SequenceEqual(f))
                    {
                        value = CellValue.FromInteger(0);
                        return true;
                    }
                }

                return false;
            case FieldType.Date:
                return TryDate(text, out value);
            case FieldType.Time:
                return TryTime(text, out value);
            case FieldType.DateTime:
                return TryDateTime(text, out value);
            case FieldType.Year:
                if (text.Length == 4 && IsDigits(text))
                {
                    value = CellValue.FromInteger(int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture));
                    return true;
                }

                return false;
            case FieldType.YearMonth:
                if (text.Length == 7 && text[4] == '-' && IsDigits(text[..4]) && IsDigits(text[5..]))
                {
                    var month = int.Parse(text[5..], NumberStyles.None, CultureInfo.InvariantCulture);
                    if (month is >= 1 and <= 12)
                    {
                        value = CellValue.FromInteger(int.Parse(text[..4], NumberStyles.None, CultureInfo.InvariantCulture) * 12L + month - 1);
                        return true;
                    }
                }

                return false;
            case FieldType.Duration:
                return text.Length > 1 && Duration().IsMatch(text) && !text.EndsWith("T") && text[^1] != 'P';
            case FieldType.Object:
                return IsJson(text, JsonValueKind.Object);
            case FieldType.Array:
                return IsJson(text, JsonValueKind.Array);
            case FieldType.GeoPoint:
                return IsGeoPoint(text);
            case FieldType.GeoJson:
                return IsGeoJson(text);
            default:
                return true;
        }
    }

    /// <summary>The length <c>minLength</c>/<c>maxLength</c> measure: characters of a string, items of an array or object.</summary>
    public static int LengthOf(FieldType type, ReadOnlySpan<char> text)
    {
        if (type == FieldType.String)
        {
            return text.Length;
        }

        try
        {
            using var document = JsonDocument.Parse(text.ToString());
            return document.RootElement.ValueKind switch
            {
                JsonValueKind.Array => document.RootElement.GetArrayLength(),
                JsonValueKind.Object => document.RootElement.EnumerateObject().Count(),
                _ => 0,
            };
        }
        catch (JsonException)
        {
            return 0;
        }
    }

    private static bool TryInteger(ReadOnlySpan<char> text, out CellValue value)
    {
        value = CellValue.Text;
        var digits = text.Length > 0 && text[0] is '-' or '+' ? text[1..] : text;
        if (digits.IsEmpty || !IsDigits(digits))
        {
            return false;
        }

        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
        {
            value = CellValue.FromInteger(l);
            return true;
        }

        // Table Schema integers are unbounded: a huge one is valid, compared as a double.
        value = CellValue.FromNumber((double)BigInteger.Parse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture));
        return true;
    }

    private bool TryNumber(ReadOnlySpan<char> text, out CellValue value)
    {
        value = CellValue.Text;
        if (text.SequenceEqual("NaN"))
        {
            value = CellValue.FromNumber(double.NaN);
            return true;
        }

        if (text.SequenceEqual("INF"))
        {
            value = CellValue.FromNumber(double.PositiveInfinity);
            return true;
        }

        if (text.SequenceEqual("-INF"))
        {
            value = CellValue.FromNumber(double.NegativeInfinity);
            return true;
        }

        if (!_bareNumber)
        {
            text = StripNonDigits(text);
        }

        if (_decimalChar != '.' || _groupChar.Length > 0)
        {
            if (text.Length > 512)
            {
                return false;
            }

            Span<char> buffer = stackalloc char[text.Length];
            var n = 0;
            foreach (var c in text)
            {
                if (_groupChar.Length > 0 && _groupChar.Contains(c))
                {
                    continue;
                }

                buffer[n++] = c == _decimalChar ? '.' : (c == '.' ? '\0' : c);
            }

            return TryPlainNumber(buffer[..n], out value);
        }

        return TryPlainNumber(text, out value);
    }

    /// <summary>Digits, one sign, one point, an exponent: no "Infinity", no hex, no white space, no thousands separators.</summary>
    private static bool TryPlainNumber(ReadOnlySpan<char> text, out CellValue value)
    {
        value = CellValue.Text;
        if (text.IsEmpty || text.ContainsAnyExcept(NumberChars) || !char.IsAsciiDigit(text[^1]) && text[^1] != '.')
        {
            return false;
        }

        if (!csFastFloat.FastDoubleParser.TryParseDouble(text, out var consumed, out var d) || consumed != text.Length || !double.IsFinite(d))
        {
            return false;
        }

        value = CellValue.FromNumber(d);
        return true;
    }

    private static readonly System.Buffers.SearchValues<char> NumberChars = System.Buffers.SearchValues.Create("0123456789+-.eE");

    private static ReadOnlySpan<char> StripNonDigits(ReadOnlySpan<char> text)
    {
        var start = text.IndexOfAnyInRange('0', '9');
        if (start < 0)
        {
            return ReadOnlySpan<char>.Empty;
        }

        if (start > 0 && text[start - 1] is '-' or '+' or '.')
        {
            start--;
        }

        var end = text.LastIndexOfAnyInRange('0', '9');
        return text[start..(end + 1)];
    }

    private static int Digits(ReadOnlySpan<char> digits)
    {
        var n = 0;
        foreach (var c in digits)
        {
            n = n * 10 + (c - '0');
        }

        return n;
    }

    private static bool IsDigits(ReadOnlySpan<char> text) => !text.IsEmpty && !text.ContainsAnyExceptInRange('0', '9');

    private bool TryDate(ReadOnlySpan<char> text, out CellValue value)
    {
        value = CellValue.Text;
        if (_kind == FormatKind.Default)
        {
            // The common case, without the general parser: exactly yyyy-MM-dd.
            if (text.Length == 10 && text[4] == '-' && text[7] == '-' && IsDigits(text[..4]) && IsDigits(text[5..7]) && IsDigits(text[8..]))
            {
                int year = Digits(text[..4]), month = Digits(text[5..7]), day = Digits(text[8..]);
                if (year >= 1 && month is >= 1 and <= 12 && day >= 1 && day <= DateTime.DaysInMonth(year, month))
                {
                    value = CellValue.FromInteger(new DateOnly(year, month, day).DayNumber);
                    return true;
                }
            }

            return false;
        }

        DateTime date;
        var ok = _format switch
        {
            "default" => DateTime.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date),
            "any" => DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out date),
            _ => DateTime.TryParseExact(text, _dotnetPattern, CultureInfo.InvariantCulture, DateTimeStyles.None, out date),
        };
        if (ok)
        {
            value = CellValue.FromInteger(DateOnly.FromDateTime(date).DayNumber);
        }

        return ok;
    }

    private bool TryTime(ReadOnlySpan<char> text, out CellValue value)
    {
        value = CellValue.Text;
        TimeOnly time;
        var ok = _format switch
        {
            "default" => TimeOnly.TryParseExact(text, "HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out time),
            "any" => TimeOnly.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out time),
            _ => TimeOnly.TryParseExact(text, _dotnetPattern, CultureInfo.InvariantCulture, DateTimeStyles.None, out time),
        };
        if (ok)
        {
            value = CellValue.FromInteger(time.Ticks);
        }

        return ok;
    }

    private static readonly string[] DefaultDateTimeFormats =
    [
        "yyyy-MM-dd'T'HH:mm:ss'Z'", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", "yyyy-MM-dd'T'HH:mm:sszzz", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz",
    ];

    private bool TryDateTime(ReadOnlySpan<char> text, out CellValue value)
    {
        value = CellValue.Text;
        DateTimeOffset stamp;
        const DateTimeStyles Utc = DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal;
        var ok = _format switch
        {
            "default" => DateTimeOffset.TryParseExact(text, DefaultDateTimeFormats, CultureInfo.InvariantCulture, Utc, out stamp),
            "any" => DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, Utc, out stamp),
            _ => DateTimeOffset.TryParseExact(text, _dotnetPattern, CultureInfo.InvariantCulture, Utc, out stamp),
        };
        if (ok)
        {
            value = CellValue.FromInteger(stamp.UtcTicks - Epoch.Ticks);
        }

        return ok;
    }

    private static bool IsJson(ReadOnlySpan<char> text, JsonValueKind kind)
    {
        if (text.IsEmpty || (kind == JsonValueKind.Object ? text[0] != '{' : text[0] != '['))
        {
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(text.ToString(), new JsonDocumentOptions { MaxDepth = 64 });
            return document.RootElement.ValueKind == kind;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private bool IsGeoPoint(ReadOnlySpan<char> text)
    {
        double lon, lat;
        switch (_format)
        {
            case "array":
            case "object":
                try
                {
                    using var document = JsonDocument.Parse(text.ToString());
                    var root = document.RootElement;
                    if (_format == "array")
                    {
                        if (root.ValueKind != JsonValueKind.Array || root.GetArrayLength() != 2 || !root[0].TryGetDouble(out lon) || !root[1].TryGetDouble(out lat))
                        {
                            return false;
                        }
                    }
                    else if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("lon", out var lo) || !root.TryGetProperty("lat", out var la)
                             || !lo.TryGetDouble(out lon) || !la.TryGetDouble(out lat))
                    {
                        return false;
                    }
                }
                catch (Exception e) when (e is JsonException or InvalidOperationException)
                {
                    return false;
                }

                break;
            default:
                var comma = text.IndexOf(',');
                if (comma < 0 || !double.TryParse(text[..comma].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out lon)
                              || !double.TryParse(text[(comma + 1)..].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out lat))
                {
                    return false;
                }

                break;
        }

        return lon is >= -180 and <= 180 && lat is >= -90 and <= 90;
    }

    private bool IsGeoJson(ReadOnlySpan<char> text)
    {
        try
        {
            using var document = JsonDocument.Parse(text.ToString());
            var root = document.RootElement;
            return root.ValueKind == JsonValueKind.Object && root.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String
                   && (_format != "topojson" || type.GetString() == "Topology");
        }
        catch (JsonException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s]+$", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex Email();

    [GeneratedRegex(@"^-?P([0-9]+Y)?([0-9]+M)?([0-9]+W)?([0-9]+D)?(T([0-9]+H)?([0-9]+M)?([0-9]+(\.[0-9]+)?S)?)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Duration();
}
