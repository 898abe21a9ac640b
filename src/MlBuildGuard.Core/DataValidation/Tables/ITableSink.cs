namespace MlBuildGuard.Core.DataValidation;

/// <summary>
/// What a table reader feeds, row by row, without allocating per cell: the column names once, then each row's cells as
/// character spans that are valid only during the call.
/// </summary>
public interface ITableSink
{
    /// <summary>The file's columns in order (a CSV header, a Parquet schema, or for JSON Lines the schema's fields).</summary>
    void Columns(IReadOnlyList<string> names, long line);

    void BeginRow(long line);

    /// <summary>A cell's text; <paramref name="column"/> indexes the names given to <see cref="Columns"/>.</summary>
    /// <param name="charColumn">1-based character column where the cell starts in its line (0 when unknown).</param>
    /// <param name="lineOffset">Lines the cell starts after the row's first line (quoted cells may span lines).</param>
    void Cell(int column, ReadOnlySpan<char> text, int charColumn, int lineOffset = 0);

    /// <summary>An explicit null (JSON null, a Parquet null, a JSON Lines key that is absent).</summary>
    void NullCell(int column);

    /// <summary>A JSON Lines key that is not one of the columns.</summary>
    void UnknownColumn(string name, long line);

    /// <param name="cellCount">How many cells the row had (a ragged CSV row has more or fewer than the columns).</param>
    void EndRow(int cellCount);
}
