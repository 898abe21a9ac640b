using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace MlBuildGuard.Core.Secrets.PersonalData;

/// <summary>A kind of personal data MLG802 recognises in a table cell. The names are stable (they go into the ML-BOM).</summary>
public enum PiiKind
{
    Email,
    Phone,
    PaymentCard,
    Iban,
    UsSsn,
    UkNino,
    NlBsn,
    EsDni,
}

/// <summary>
/// Value-level validators: is this whole cell (trimmed) an e-mail address, a phone number, a payment card number, an
/// IBAN, or one of the national ids below? Each checks the structure a real value must have (a checksum where the
/// format has one), so plain integers, dates and ids are not mistaken for personal data. docs/secrets.md lists the rules.
/// The per-cell methods are compiled fully optimised at once (<see cref="MethodImplOptions.AggressiveOptimization"/>):
/// a build or an <c>mlguard</c> run calls them for every cell, mostly before tiered compilation would promote them.
/// </summary>
public static partial class PiiValidators
{
    /// <summary>Cells longer than this are free text, never one value of these kinds.</summary>
    public const int MaxValueLength = 64;

    /// <summary>
    /// The order a cell is tried in: the most specific formats first, so an SSN is not also called a phone number.
    /// <see cref="ClassifyTrimmed"/> follows it kind by kind (a test holds the two together).
    /// </summary>
    public static IReadOnlyList<PiiKind> Order => OrderArray;

    private static readonly PiiKind[] OrderArray =
        [PiiKind.PaymentCard, PiiKind.Iban, PiiKind.UsSsn, PiiKind.UkNino, PiiKind.EsDni, PiiKind.NlBsn, PiiKind.Email, PiiKind.Phone];

    /// <summary>The stable name of a kind: <c>email</c>, <c>phone</c>, <c>payment-card</c>, <c>iban</c>, <c>us-ssn</c>, <c>uk-nino</c>, <c>nl-bsn</c>, <c>es-dni</c>.</summary>
    public static string Name(PiiKind kind) => kind switch
    {
        PiiKind.Email => "email",
        PiiKind.Phone => "phone",
        PiiKind.PaymentCard => "payment-card",
        PiiKind.Iban => "iban",
        PiiKind.UsSsn => "us-ssn",
        PiiKind.UkNino => "uk-nino",
        PiiKind.NlBsn => "nl-bsn",
        _ => "es-dni",
    };

    /// <summary>What the kind is, in words, for messages.</summary>
    public static string Describe(PiiKind kind) => kind switch
    {
        PiiKind.Email => "e-mail addresses",
        PiiKind.Phone => "phone numbers",
        PiiKind.PaymentCard => "payment card numbers",
        PiiKind.Iban => "IBANs",
        PiiKind.UsSsn => "US social security numbers",
        PiiKind.UkNino => "UK national insurance numbers",
        PiiKind.NlBsn => "Dutch citizen service numbers (BSN)",
        _ => "Spanish DNI/NIE numbers",
    };

    /// <summary>
    /// Whether the value is written with the characters of a number-only kind: digits and the separators of cards,
    /// phones and SSNs. A plain loop: a cell is at most <see cref="MaxValueLength"/> characters, text fails at its first
    /// letter, and the runtime's vectorised search ran in unoptimised code for much of a short JIT-compiled run.
    /// </summary>
    private static bool IsNumberShaped(ReadOnlySpan<char> value)
    {
        foreach (var c in value)
        {
            if (!char.IsAsciiDigit(c) && c is not (' ' or '-' or '.' or '(' or ')' or '+'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The kind of personal data the whole value (trimmed) is, or null: the first kind of <see cref="Order"/> it is.</summary>
    public static PiiKind? Classify(ReadOnlySpan<char> value) => ClassifyTrimmed(value.Trim());

    /// <summary>
    /// <see cref="Classify"/> of a value already trimmed. A tabular reader calls this for every cell, so one look at
    /// the characters first says which kinds are possible at all: card, SSN, BSN and phone are written with
    /// digits and separators only, IBAN, NINO and DNI hold letters, an e-mail address holds '@'. The possible kinds are
    /// then tried in <see cref="Order"/>'s order (no other kind can match such a value), and each validator rejects on
    /// length and leading characters before it allocates or runs a regex, so text, digests, base64 and UUIDs cost little.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static PiiKind? ClassifyTrimmed(ReadOnlySpan<char> value)
    {
        if (value.IsEmpty || value.Length > MaxValueLength)
        {
            return null;
        }

        // Each validator is called only for a value of a length its kind can have (the calls are most of the cost).
        var length = value.Length;
        if (IsNumberShaped(value))
        {
            return length >= CardMinDigits && IsPaymentCard(value) ? PiiKind.PaymentCard
                : length == SsnLength && IsUsSsn(value) ? PiiKind.UsSsn
                : length == BsnLength && IsNlBsn(value) ? PiiKind.NlBsn
                : length >= PhoneMinDigits && IsPhone(value) ? PiiKind.Phone
                : null;
        }

        return length >= IbanMinLength && IsIban(value) ? PiiKind.Iban
            : length is >= NinoMinLength and <= NinoMaxLength && IsUkNino(value) ? PiiKind.UkNino
            : length == DniLength && IsEsDni(value) ? PiiKind.EsDni
            : value.Contains('@') && IsEmail(value) ? PiiKind.Email
            : null;
    }

    // The lengths the kinds can have (the validators check them first; Classify before it calls them).
    private const int CardMinDigits = 12;
    private const int PhoneMinDigits = 7;
    private const int IbanMinLength = 15; // Norway's
    private const int SsnLength = 11; // AAA-GG-SSSS
    private const int BsnLength = 9;
    private const int NinoMinLength = 9; // AB123456C
    private const int NinoMaxLength = 13; // AB 12 34 56 C
    private const int DniLength = 9;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool Is(PiiKind kind, ReadOnlySpan<char> value) => kind switch
    {
        PiiKind.Email => IsEmail(value),
        PiiKind.Phone => IsPhone(value),
        PiiKind.PaymentCard => IsPaymentCard(value),
        PiiKind.Iban => IsIban(value),
        PiiKind.UsSsn => IsUsSsn(value),
        PiiKind.UkNino => IsUkNino(value),
        PiiKind.NlBsn => IsNlBsn(value),
        _ => IsEsDni(value),
    };

    // ---- e-mail -----------------------------------------------------------------------------------------------------

    [GeneratedRegex(@"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex EmailPattern();

    /// <summary>An address of the common form local@domain.tld (RFC 5321 dot-atoms; no quoted local parts or IP literals).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool IsEmail(ReadOnlySpan<char> value) =>
        value.Length <= 254 && value.IndexOf('@') is > 0 and <= 64 && EmailPattern().IsMatch(value);

    // ---- phone ------------------------------------------------------------------------------------------------------

    [GeneratedRegex(@"^\+?(?:\(\d{1,5}\)|\d{1,5})(?:[ .-]?(?:\(\d{1,5}\)|\d{1,5})){1,6}$", RegexOptions.CultureInvariant)]
    private static partial Regex PhoneShape();

    [GeneratedRegex(@"^(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}|\d{1,3}(?:\.\d{1,3}){3}|\d{3}-\d{2}-\d{4})$", RegexOptions.CultureInvariant)]
    private static partial Regex DateOrAddress();

    /// <summary>
    /// E.164 (<c>+</c>, 7–15 digits) or a national number written with separators (spaces, '-', '.', parentheses) and
    /// 7–15 digits. A bare run of digits without '+' is never a phone number (it is an id or an amount), nor is a decimal
    /// number (digits, one '.', digits: a float feature such as 0.0565081) or a space-separated list of them (a vector
    /// written in one cell); dates, dotted IPv4 addresses and the SSN shape AAA-GG-SSSS are excluded.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool IsPhone(ReadOnlySpan<char> value)
    {
        var digits = 0;
        var separators = 0;
        var dots = 0;
        foreach (var c in value)
        {
            if (char.IsAsciiDigit(c))
            {
                digits++;
            }
            else if (c is ' ' or '-' or '.' or '(' or ')')
            {
                separators++;
                dots += c == '.' ? 1 : 0;
            }
            else if (c != '+')
            {
                return false;
            }
        }

        var plus = value[0] == '+';
        return digits is >= PhoneMinDigits and <= 15 && (plus || separators > 0) && !(dots > 0 && IsDecimalList(value)) && PhoneShape().IsMatch(value)
            && !DateOrAddress().IsMatch(value);
    }

    /// <summary>Whether every space-separated token of the value is a decimal number: digits, one '.', digits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool IsDecimalList(ReadOnlySpan<char> value)
    {
        foreach (var range in value.Split(' '))
        {
            var token = value[range];
            var dot = token.IndexOf('.');
            if (dot <= 0 || dot == token.Length - 1 || token[..dot].ContainsAnyExceptInRange('0', '9') || token[(dot + 1)..].ContainsAnyExceptInRange('0', '9'))
            {
                return false;
            }
        }

        return true;
    }

    // ---- payment cards ----------------------------------------------------------------------------------------------

    /// <summary>
    /// 12–19 digits (spaces or '-' between groups allowed) that pass the Luhn check and start with an issuer range of
    /// Visa, Mastercard, American Express, Discover, JCB, Diners Club or UnionPay at a length that issuer uses.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool IsPaymentCard(ReadOnlySpan<char> value)
    {
        Span<byte> digits = stackalloc byte[19];
        var n = 0;
        var previousSeparator = true;
        foreach (var c in value)
        {
            if (char.IsAsciiDigit(c))
            {
                if (n == 19)
                {
                    return false;
                }

                digits[n++] = (byte)(c - '0');
                previousSeparator = false;
            }
            else if (c is ' ' or '-' && !previousSeparator)
            {
                previousSeparator = true;
            }
            else
            {
                return false;
            }
        }

        return n >= CardMinDigits && !previousSeparator && IssuerAccepts(digits[..n]) && Luhn(digits[..n]);
    }

    private static bool IssuerAccepts(ReadOnlySpan<byte> d)
    {
        var length = d.Length;
        var p2 = d[0] * 10 + d[1];
        var p3 = p2 * 10 + d[2];
        var p4 = p3 * 10 + d[3];
        return (d[0] == 4 && length is 13 or 16 or 19) // Visa
            || (((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) && length == 16) // Mastercard
            || ((p2 is 34 or 37) && length == 15) // American Express
            || ((p4 == 6011 || p2 == 65 || (p3 >= 644 && p3 <= 649)) && length is >= 16 and <= 19) // Discover
            || (p4 >= 3528 && p4 <= 3589 && length is >= 16 and <= 19) // JCB
            || (((p3 >= 300 && p3 <= 305) || p2 is 36 or 38 or 39) && length is >= 14 and <= 19) // Diners Club
            || (p2 == 62 && length is >= 16 and <= 19); // UnionPay
    }

    /// <summary>The Luhn (mod 10) check digit test.</summary>
    public static bool Luhn(ReadOnlySpan<byte> digits)
    {
        var sum = 0;
        for (var i = 0; i < digits.Length; i++)
        {
            int d = digits[digits.Length - 1 - i];
            if (i % 2 == 1)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }

            sum += d;
        }

        return sum % 10 == 0;
    }

    // ---- IBAN -------------------------------------------------------------------------------------------------------

    /// <summary>The length of each country's IBAN, by its two-letter code.</summary>
    private static readonly Dictionary<string, int> IbanLengthByCountry = new(StringComparer.Ordinal)
    {
        ["AD"] = 24, ["AE"] = 23, ["AL"] = 28, ["AT"] = 20, ["AZ"] = 28, ["BA"] = 20, ["BE"] = 16, ["BG"] = 22, ["BH"] = 22,
        ["BR"] = 29, ["BY"] = 28, ["CH"] = 21, ["CR"] = 22, ["CY"] = 28, ["CZ"] = 24, ["DE"] = 22, ["DK"] = 18, ["DO"] = 28,
        ["EE"] = 20, ["EG"] = 29, ["ES"] = 24, ["FI"] = 18, ["FO"] = 18, ["FR"] = 27, ["GB"] = 22, ["GE"] = 22, ["GI"] = 23,
        ["GL"] = 18, ["GR"] = 27, ["GT"] = 28, ["HR"] = 21, ["HU"] = 28, ["IE"] = 22, ["IL"] = 23, ["IQ"] = 23, ["IS"] = 26,
        ["IT"] = 27, ["JO"] = 30, ["KW"] = 30, ["KZ"] = 20, ["LB"] = 28, ["LC"] = 32, ["LI"] = 21, ["LT"] = 20, ["LU"] = 20,
        ["LV"] = 21, ["LY"] = 25, ["MC"] = 27, ["MD"] = 24, ["ME"] = 22, ["MK"] = 19, ["MR"] = 27, ["MT"] = 31, ["MU"] = 30,
        ["NL"] = 18, ["NO"] = 15, ["PK"] = 24, ["PL"] = 28, ["PS"] = 29, ["PT"] = 25, ["QA"] = 29, ["RO"] = 24, ["RS"] = 22,
        ["SA"] = 24, ["SC"] = 31, ["SE"] = 24, ["SI"] = 19, ["SK"] = 24, ["SM"] = 27, ["ST"] = 25, ["SV"] = 28, ["TL"] = 23,
        ["TN"] = 24, ["TR"] = 26, ["UA"] = 29, ["VA"] = 22, ["VG"] = 24, ["XK"] = 20,
    };

    /// <summary>The same lengths indexed by (first letter − 'A') · 26 + (second letter − 'A'); 0 for no such country.</summary>
    private static readonly byte[] IbanLengths = IbanLengthTable();

    private static byte[] IbanLengthTable()
    {
        var table = new byte[26 * 26];
        foreach (var (country, length) in IbanLengthByCountry)
        {
            table[(country[0] - 'A') * 26 + (country[1] - 'A')] = (byte)length;
        }

        return table;
    }

    /// <summary>ISO 13616: a country's length, two check digits, and the mod-97 check (spaces between groups of 4 allowed).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool IsIban(ReadOnlySpan<char> value)
    {
        // The country and check digits come first, never split by a space: most cells fail here.
        if (value.Length < IbanMinLength || !char.IsAsciiLetter(value[0]) || !char.IsAsciiLetter(value[1]) || !char.IsAsciiDigit(value[2]) || !char.IsAsciiDigit(value[3]))
        {
            return false;
        }

        var length = IbanLengths[(char.ToUpperInvariant(value[0]) - 'A') * 26 + (char.ToUpperInvariant(value[1]) - 'A')];
        if (length == 0 || value.Length < length)
        {
            return false;
        }

        Span<char> iban = stackalloc char[34];
        var n = 0;
        foreach (var c in value)
        {
            if (c == ' ')
            {
                continue;
            }

            if (n == length || !char.IsAsciiLetterOrDigit(c))
            {
                return false;
            }

            iban[n++] = char.ToUpperInvariant(c);
        }

        if (n != length)
        {
            return false;
        }

        var remainder = 0;
        for (var i = 0; i < n; i++)
        {
            var c = iban[(i + 4) % n];
            remainder = char.IsAsciiDigit(c) ? (remainder * 10 + (c - '0')) % 97 : (remainder * 100 + (c - 'A' + 10)) % 97;
        }

        return remainder == 1;
    }

    // ---- national ids -----------------------------------------------------------------------------------------------

    /// <summary>
    /// US SSN written AAA-GG-SSSS (ASCII digits): area not 000, 666 or 900–999, group not 00, serial not 0000, and not
    /// one of the numbers published in advertising (078-05-1120, 219-09-9999). Nine bare digits are not taken for an SSN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool IsUsSsn(ReadOnlySpan<char> value)
    {
        if (value.Length != SsnLength || value[3] != '-' || value[6] != '-'
            || value[..3].ContainsAnyExceptInRange('0', '9') || value[4..6].ContainsAnyExceptInRange('0', '9') || value[7..].ContainsAnyExceptInRange('0', '9'))
        {
            return false;
        }

        var area = (value[0] - '0') * 100 + (value[1] - '0') * 10 + (value[2] - '0');
        return area is not (0 or 666) && area < 900 && value[4..6] is not "00" && value[7..] is not "0000"
            && value is not "078-05-1120" and not "219-09-9999";
    }

    [GeneratedRegex(@"^[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D]$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex NinoPattern();

    /// <summary>UK National Insurance number: two prefix letters (not D, F, I, Q, U, V; second not O; not BG, GB, KN, NK, NT, TN, ZZ), six digits, suffix A–D.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool IsUkNino(ReadOnlySpan<char> value)
    {
        if (value.Length is < NinoMinLength or > NinoMaxLength || !char.IsAsciiLetter(value[0]) || !char.IsAsciiLetter(value[1]) || !NinoPattern().IsMatch(value))
        {
            return false;
        }

        Span<char> prefix = [char.ToUpperInvariant(value[0]), char.ToUpperInvariant(value[1])];
        return prefix is not ("BG" or "GB" or "KN" or "NK" or "NT" or "TN" or "ZZ");
    }

    /// <summary>Dutch BSN: exactly 9 digits passing the "11-test" (9·d1 + 8·d2 + … + 2·d8 − d9 divisible by 11), not all zeros.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool IsNlBsn(ReadOnlySpan<char> value)
    {
        if (value.Length != BsnLength || value.ContainsAnyExceptInRange('0', '9') || !value.ContainsAnyExcept('0'))
        {
            return false;
        }

        var sum = 0;
        for (var i = 0; i < 8; i++)
        {
            sum += (9 - i) * (value[i] - '0');
        }

        sum -= value[8] - '0';
        return sum % 11 == 0;
    }

    /// <summary>Spanish DNI (8 digits and a control letter) or NIE (X, Y or Z, 7 digits, letter): the letter is "TRWAGMYFPDXBNJZSQVHLCKE"[number mod 23].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool IsEsDni(ReadOnlySpan<char> value)
    {
        if (value.Length != DniLength)
        {
            return false;
        }

        var first = char.ToUpperInvariant(value[0]);
        var prefix = first switch { 'X' => 0, 'Y' => 1, 'Z' => 2, _ => -1 };
        var digits = prefix >= 0 ? value[1..8] : value[..8];
        if (digits.ContainsAnyExceptInRange('0', '9') || (prefix < 0 && !char.IsAsciiDigit(first)))
        {
            return false;
        }

        var number = int.Parse(digits, provider: System.Globalization.CultureInfo.InvariantCulture) + (prefix > 0 ? prefix * 10_000_000 : 0);
        return "TRWAGMYFPDXBNJZSQVHLCKE"[number % 23] == char.ToUpperInvariant(value[8]);
    }
}
