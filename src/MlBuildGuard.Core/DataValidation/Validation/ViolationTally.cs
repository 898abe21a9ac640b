using System.Globalization;
using System.Text;

namespace MlBuildGuard.Core.DataValidation;

/// <summary>The rules a cell or row can break (MLG701), in the order findings are reported.</summary>
public enum ViolationRule
{
    Type,
    Required,
    Minimum,
    Maximum,
    MinLength,
    MaxLength,
    Pattern,
    Enum,
    Unique,
    PrimaryKey,
    UniqueKey,
}

/// <summary>
/// Counts one rule's violations in one field: the total, the first <see cref="MaxPlaces"/> places (line, column) and an
/// excerpt of the first offending cell. Memory stays the same however many rows break the rule.
/// </summary>
public sealed class ViolationTally
{
    public const int MaxPlaces = 5;

    private readonly List<(long Line, int Column)> _places = new(MaxPlaces);

    public long Count { get; private set; }

    public IReadOnlyList<(long Line, int Column)> Places => _places;

    public string? FirstExcerpt { get; private set; }

    /// <summary>Counts a violation; true when its place is one of the first (the caller then may pass an excerpt).</summary>
    public bool Add(long line, int column)
    {
        Count++;
        if (_places.Count >= MaxPlaces)
        {
            return false;
        }

        _places.Add((line, column));
        return true;
    }

    public void SetExcerpt(ReadOnlySpan<char> cell) => FirstExcerpt ??= CellExcerpt.Of(cell);

    /// <summary>"12:5, 57:5" (or "row 12" where the format has no lines, as Parquet).</summary>
    public string DescribePlaces(bool hasLines)
    {
        var text = new StringBuilder();
        foreach (var (line, column) in _places)
        {
            if (text.Length > 0)
            {
                text.Append(", ");
            }

            text.Append(hasLines ? (column > 0 ? $"{line}:{column}" : $"line {line}") : $"row {line}");
        }

        if (Count > _places.Count)
        {
            text.Append(CultureInfo.InvariantCulture, $" and {Count - _places.Count} more");
        }

        return text.ToString();
    }
}
