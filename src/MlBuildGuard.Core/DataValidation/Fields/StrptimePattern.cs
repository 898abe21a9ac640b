using System.Text;

namespace MlBuildGuard.Core.DataValidation;

/// <summary>
/// Table Schema writes custom date and time formats as Python strptime/strftime patterns (<c>%d/%m/%Y</c>); this turns
/// the common directives into a .NET custom format. A directive without an exact .NET counterpart is refused.
/// </summary>
public static class StrptimePattern
{
    private static readonly Dictionary<char, string> Directives = new()
    {
        ['Y'] = "yyyy", ['y'] = "yy", ['m'] = "MM", ['d'] = "dd", ['H'] = "HH", ['I'] = "hh", ['M'] = "mm", ['S'] = "ss",
        ['f'] = "ffffff", ['p'] = "tt", ['b'] = "MMM", ['B'] = "MMMM", ['a'] = "ddd", ['A'] = "dddd", ['z'] = "zzz",
    };

    /// <exception cref="ArgumentException">The pattern has an unsupported or incomplete directive.</exception>
    public static string ToDotNet(string pattern)
    {
        var result = new StringBuilder();
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '%')
            {
                if (i + 1 >= pattern.Length)
                {
                    throw new ArgumentException($"the date/time format '{pattern}' ends with a lone '%'");
                }

                var d = pattern[++i];
                if (d == '%')
                {
                    result.Append("'%'");
                }
                else if (Directives.TryGetValue(d, out var dotnet))
                {
                    result.Append(dotnet);
                }
                else
                {
                    throw new ArgumentException($"the date/time format '{pattern}' uses %{d}, which is not supported (use %Y %y %m %d %H %I %M %S %f %p %b %B %a %A %z)");
                }
            }
            else if (char.IsAsciiLetter(c) || c is '\'' or '"' or '\\' or '%')
            {
                result.Append('\\').Append(c);
            }
            else
            {
                result.Append(c == ':' || c == '/' ? "\\" + c : c.ToString());
            }
        }

        return result.ToString();
    }
}
