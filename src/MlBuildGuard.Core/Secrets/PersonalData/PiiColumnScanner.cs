using System.Globalization;
using System.Runtime.CompilerServices;
using MlBuildGuard.Core.Diagnostics;

namespace MlBuildGuard.Core.Secrets.PersonalData;

/// <summary>What one column of a table holds of one kind of personal data.</summary>
/// <param name="Column">The column's name (or its 1-based number when the table has no header).</param>
/// <param name="Kind">The kind of personal data.</param>
/// <param name="Count">Values of that kind.</param>
/// <param name="NonEmpty">Non-empty values of the column.</param>
public sealed record PiiColumnResult(string Column, PiiKind Kind, long Count, long NonEmpty)
{
    /// <summary>The share of the column's non-empty values that are of this kind.</summary>
    public double Share => NonEmpty == 0 ? 0 : (double)Count / NonEmpty;
}

/// <summary>
/// Counts, per column of a table, how many values are personal data of each kind (<see cref="PiiValidators"/>). A
/// tabular reader feeds it every cell (<see cref="Observe"/>); at the end, a column is reported for a kind when at least
/// <see cref="MinShare"/> of its non-empty values are of that kind. Only counts are kept, never values, so findings and
/// the ML-BOM can name file, column, kind and count and nothing else. Memory grows with the number of columns only.
/// </summary>
public sealed class PiiColumnScanner
{
    /// <summary>The default share of a column's non-empty values that makes it a personal-data column.</summary>
    public const double DefaultMinShare = 0.2;

    private readonly Dictionary<string, ColumnCounts> _columns = new(StringComparer.Ordinal);
    private readonly List<string> _order = new();

    public PiiColumnScanner(double minShare = DefaultMinShare)
    {
        if (minShare is <= 0 or > 1 || double.IsNaN(minShare))
        {
            throw new ArgumentOutOfRangeException(nameof(minShare), "the share must be in (0, 1]");
        }

        MinShare = minShare;
    }

    public double MinShare { get; }

    /// <summary>One cell of <paramref name="column"/>. Empty and whitespace cells are not counted.</summary>
    public void Observe(string column, ReadOnlySpan<char> cell)
    {
        ArgumentNullException.ThrowIfNull(column);
        Count(Counter(column), cell);
    }

    /// <summary>The counts of <paramref name="column"/>, added in column order on first sight (a reader keeps them by index).</summary>
    internal ColumnCounts Counter(string column)
    {
        if (!_columns.TryGetValue(column, out var counts))
        {
            _columns[column] = counts = new ColumnCounts();
            _order.Add(column);
        }

        return counts;
    }

    /// <summary>One cell into <paramref name="counts"/>: <see cref="Observe"/> without looking the column up.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Count(ColumnCounts counts, ReadOnlySpan<char> cell)
    {
        var trimmed = cell.Trim();
        if (trimmed.IsEmpty)
        {
            return;
        }

        counts.NonEmpty++;
        if (PiiValidators.ClassifyTrimmed(trimmed) is { } kind)
        {
            counts.ByKind[(int)kind]++;
        }
    }

    /// <summary>The columns that hold personal data (share at or above <see cref="MinShare"/>), in column order, then kind order.</summary>
    public IReadOnlyList<PiiColumnResult> Results()
    {
        var results = new List<PiiColumnResult>();
        foreach (var column in _order)
        {
            var counts = _columns[column];
            for (var k = 0; k < counts.ByKind.Length; k++)
            {
                var result = new PiiColumnResult(column, (PiiKind)k, counts.ByKind[k], counts.NonEmpty);
                if (result.Count > 0 && result.Share >= MinShare)
                {
                    results.Add(result);
                }
            }
        }

        return results;
    }

    /// <summary>The kinds found in any reported column (for the ML-BOM's data component), by stable name.</summary>
    public IReadOnlyList<string> KindsFound() => KindsOf(Results());

    /// <summary>The distinct kinds of <paramref name="results"/> by name, in kind order.</summary>
    public static IReadOnlyList<string> KindsOf(IEnumerable<PiiColumnResult> results) =>
        results.Select(r => r.Kind).Distinct().Order().Select(PiiValidators.Name).ToArray();

    /// <summary>
    /// MLG802 for each reported column of <paramref name="file"/>: an error, or a warning when the input declares
    /// <c>Pii="allow"</c> (<paramref name="allowed"/>). <paramref name="locate"/> may point a column at its header cell.
    /// </summary>
    public IReadOnlyList<Finding> Findings(string file, bool allowed, Func<string, SourceLocation?>? locate = null) =>
        FindingsOf(Results(), file, allowed, locate);

    /// <summary>MLG802 for columns found earlier (a stamp cache keeps the results, never the values), as <see cref="Findings"/>.</summary>
    public static IReadOnlyList<Finding> FindingsOf(IEnumerable<PiiColumnResult> results, string file, bool allowed, Func<string, SourceLocation?>? locate = null)
    {
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(file);
        return results.Select(r =>
        {
            var finding = Finding.Create(RuleCatalog.PersonalDataFound, locate?.Invoke(r.Column) ?? new SourceLocation(file), file,
                file, r.Column, PiiValidators.Describe(r.Kind), r.Count, r.NonEmpty, string.Create(CultureInfo.InvariantCulture, $"{r.Share * 100:0}%"));
            return allowed ? finding.WithSeverity(Severity.Warning) : finding;
        }).ToArray();
    }

    /// <summary>One column's counts: its non-empty values, and its values of each kind.</summary>
    internal sealed class ColumnCounts
    {
        public long NonEmpty { get; set; }

        public long[] ByKind { get; } = new long[Enum.GetValues<PiiKind>().Length];
    }
}
