using System.Text;
using System.Text.RegularExpressions;

namespace MlBuildGuard.Core.Secrets.Rules;

/// <summary>
/// Compiles a gitleaks rule's regular expression, which is Go (RE2) syntax, into a .NET <see cref="Regex"/> with
/// <see cref="RegexOptions.NonBacktracking"/> (linear time, like RE2). The two syntaxes agree on almost everything rule
/// files use; the differences are translated (<c>(?P&lt;name&gt;…)</c>, POSIX classes such as <c>[[:alpha:]]</c>) or
/// rejected with a reason (<c>\Q…\E</c>, the <c>U</c> flag, <c>\C</c>). Constructs .NET accepts but RE2 does not
/// (look-arounds, back-references) are refused by the non-backtracking engine and reported the same way.
/// </summary>
public static class GoRegex
{
    private static readonly Dictionary<string, string> PosixClasses = new(StringComparer.Ordinal)
    {
        ["alnum"] = "0-9A-Za-z", ["alpha"] = "A-Za-z", ["ascii"] = "\\x00-\\x7F", ["blank"] = "\\t ", ["cntrl"] = "\\x00-\\x1F\\x7F",
        ["digit"] = "0-9", ["graph"] = "!-~", ["lower"] = "a-z", ["print"] = " -~", ["punct"] = "!-/:-@\\[-`{-~",
        ["space"] = "\\t\\n\\v\\f\\r ", ["upper"] = "A-Z", ["word"] = "0-9A-Za-z_", ["xdigit"] = "0-9A-Fa-f",
    };

    /// <summary>The .NET regex for <paramref name="pattern"/>, or null with the reason it cannot be used.</summary>
    public static Regex? TryCompile(string pattern, out string? error)
    {
        error = null;
        string translated;
        try
        {
            translated = Translate(pattern);
        }
        catch (FormatException e)
        {
            error = e.Message;
            return null;
        }

        try
        {
            return new Regex(translated, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(5));
        }
        catch (NotSupportedException e)
        {
            error = "it uses a construct that needs backtracking, which RE2 (gitleaks) does not support either: " + e.Message;
        }
        catch (ArgumentException e)
        {
            error = "it is not a valid regular expression: " + e.Message;
        }

        return null;
    }

    private static string Translate(string pattern)
    {
        var output = new StringBuilder(pattern.Length + 8);
        var inClass = false;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '\\' && i + 1 < pattern.Length)
            {
                var next = pattern[i + 1];
                if (next is 'Q' or 'E')
                {
                    throw new FormatException("\\Q…\\E quoting is not supported; escape the characters one by one");
                }

                if (next == 'C')
                {
                    throw new FormatException("\\C (any byte) is not supported");
                }

                if (next == 'z')
                {
                    output.Append("\\z");
                    i++;
                    continue;
                }

                output.Append(c).Append(next);
                i++;
                continue;
            }

            if (inClass)
            {
                if (c == '[' && i + 1 < pattern.Length && pattern[i + 1] == ':')
                {
                    var end = pattern.IndexOf(":]", i + 2, StringComparison.Ordinal);
                    var name = end < 0 ? string.Empty : pattern[(i + 2)..end];
                    var negated = name.StartsWith('^');
                    if (negated || !PosixClasses.TryGetValue(name, out var members))
                    {
                        throw new FormatException($"the POSIX class '[:{name}:]' is not supported");
                    }

                    output.Append(members);
                    i = end + 1;
                    continue;
                }

                if (c == ']')
                {
                    inClass = false;
                }

                output.Append(c);
                continue;
            }

            if (c == '[')
            {
                inClass = true;
                output.Append(c);
                if (i + 1 < pattern.Length && pattern[i + 1] == '^')
                {
                    output.Append('^');
                    i++;
                }

                if (i + 1 < pattern.Length && pattern[i + 1] == ']')
                {
                    output.Append("\\]"); // a leading ']' is a literal in RE2
                    i++;
                }

                continue;
            }

            if (c == '(' && pattern.AsSpan(i).StartsWith("(?P<"))
            {
                output.Append("(?<");
                i += 3;
                continue;
            }

            if (c == '(' && i + 1 < pattern.Length && pattern[i + 1] == '?')
            {
                var j = i + 2;
                while (j < pattern.Length && char.IsAsciiLetter(pattern[j]) || (j < pattern.Length && pattern[j] == '-'))
                {
                    if (pattern[j] == 'U')
                    {
                        throw new FormatException("the U (ungreedy) flag is not supported");
                    }

                    j++;
                }
            }

            output.Append(c);
        }

        return output.ToString();
    }
}
