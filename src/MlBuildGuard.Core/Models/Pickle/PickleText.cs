using System.Text.RegularExpressions;

namespace MlBuildGuard.Core.Models.Pickle;

/// <summary>The text arguments of protocol-0 opcodes (STRING, UNICODE) and the names GLOBAL and getattr may carry.</summary>
internal static partial class PickleText
{
    /// <summary>The text of a protocol-0 STRING argument: quoted, with Python escapes.</summary>
    public static string Unquote(string line)
    {
        if (line.Length >= 2 && (line[0] == '\'' || line[0] == '"') && line[^1] == line[0])
        {
            return Regex.Unescape(line[1..^1].Replace("\\'", "'", StringComparison.Ordinal));
        }

        throw new PickleFormatException("a STRING argument is not quoted", 0);
    }

    /// <summary>The text of a protocol-0 UNICODE argument (Python's raw-unicode-escape: only \u and \U escapes).</summary>
    public static string RawUnicodeEscape(string line) =>
        Regex.Replace(line, @"\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})", m => m.Groups[1].Success
            ? ((char)Convert.ToInt32(m.Groups[1].Value, 16)).ToString()
            : char.ConvertFromUtf32(Convert.ToInt32(m.Groups[2].Value, 16)));

    /// <summary>A Python identifier, or several joined with '.' (a module path or a qualified name).</summary>
    public static bool IsDottedIdentifier(string text) => DottedIdentifier().IsMatch(text);

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")]
    private static partial Regex DottedIdentifier();
}
