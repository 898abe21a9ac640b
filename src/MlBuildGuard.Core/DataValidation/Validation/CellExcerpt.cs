using System.Globalization;
using System.Text;

namespace MlBuildGuard.Core.DataValidation;

/// <summary>
/// What a finding may show of a cell. A cell can hold personal data or a secret, so findings quote at most
/// <see cref="MaxChars"/> characters, escape control and invisible formatting characters (no terminal escapes, no
/// bidirectional overrides reach a log), and say only how long a longer cell is.
/// </summary>
public static class CellExcerpt
{
    public const int MaxChars = 32;

    public static string Of(ReadOnlySpan<char> cell)
    {
        if (cell.Length > MaxChars)
        {
            return $"a {cell.Length.ToString("N0", CultureInfo.InvariantCulture)}-character value (not shown)";
        }

        var text = new StringBuilder(cell.Length + 2).Append('"');
        foreach (var c in cell)
        {
            switch (c)
            {
                case '\n':
                    text.Append("\\n");
                    break;
                case '\r':
                    text.Append("\\r");
                    break;
                case '\t':
                    text.Append("\\t");
                    break;
                case '"':
                    text.Append("\\\"");
                    break;
                case '\\':
                    text.Append("\\\\");
                    break;
                default:
                    var category = char.GetUnicodeCategory(c);
                    if (char.IsControl(c) || category is UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.LineSeparator
                            or UnicodeCategory.ParagraphSeparator or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned)
                    {
                        text.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        text.Append(c);
                    }

                    break;
            }
        }

        return text.Append('"').ToString();
    }
}
