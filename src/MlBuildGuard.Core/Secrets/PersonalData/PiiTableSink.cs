using MlBuildGuard.Core.DataValidation;

namespace MlBuildGuard.Core.Secrets.PersonalData;

/// <summary>
/// Feeds a table reader's cells to a <see cref="PiiColumnScanner"/> under their column names, so a training input is
/// checked for personal data in the read that hashes (and validates) it. A cell beyond the named columns (a ragged row)
/// is counted under its 1-based column number.
/// </summary>
public sealed class PiiTableSink(PiiColumnScanner scanner) : ITableSink
{
    private IReadOnlyList<string> _names = [];

    public PiiColumnScanner Scanner { get; } = scanner;

    public void Columns(IReadOnlyList<string> names, long line) => _names = names;

    public void BeginRow(long line)
    {
    }

    public void Cell(int column, ReadOnlySpan<char> text, int charColumn, int lineOffset = 0) =>
        Scanner.Observe(column < _names.Count ? _names[column] : (column + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), text);

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
