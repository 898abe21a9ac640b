using System.Runtime.CompilerServices;
using MlBuildGuard.Core.DataValidation;

namespace MlBuildGuard.Core.Secrets.PersonalData;

/// <summary>
/// Feeds a table reader's cells to a <see cref="PiiColumnScanner"/> under their column names, so a training input is
/// checked for personal data in the read that hashes (and validates) it. A cell beyond the named columns (a ragged row)
/// is counted under its 1-based column number. Each column's counts are kept by index, so a cell costs no lookup by name.
/// </summary>
public sealed class PiiTableSink(PiiColumnScanner scanner) : ITableSink
{
    private IReadOnlyList<string> _names = [];
    private PiiColumnScanner.ColumnCounts?[] _counts = [];

    public PiiColumnScanner Scanner { get; } = scanner;

    public void Columns(IReadOnlyList<string> names, long line)
    {
        _names = names;
        _counts = new PiiColumnScanner.ColumnCounts?[names.Count];
    }

    public void BeginRow(long line)
    {
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Cell(int column, ReadOnlySpan<char> text, int charColumn, int lineOffset = 0)
    {
        if (column >= _counts.Length)
        {
            Array.Resize(ref _counts, Math.Max(column + 1, _counts.Length * 2));
        }

        var counts = _counts[column] ??= Scanner.Counter(column < _names.Count ? _names[column] : (column + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        PiiColumnScanner.Count(counts, text);
    }

    public void NullCell(int column)
    {
    }

    public void UnknownColumn(string name, long line)
    {
    }

    public void EndRow(int cellCount)
    {
    }
}
