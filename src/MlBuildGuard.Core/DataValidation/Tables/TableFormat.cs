namespace MlBuildGuard.Core.DataValidation;

/// <summary>The data formats an <c>MlTrainingInput</c> may declare (SPEC §3 <c>Format</c>).</summary>
public enum TableFormat
{
    Csv,
    Tsv,
    JsonLines,
    Parquet,
}

public static class TableFormats
{
    /// <summary>The declared format, or the one the file's extension names when none is declared.</summary>
    /// <returns>False with a reason when neither names a format MlBuildGuard reads.</returns>
    public static bool TryResolve(string? declared, string path, out TableFormat format, out string? error)
    {
        error = null;
        var name = string.IsNullOrWhiteSpace(declared) ? Path.GetExtension(path).TrimStart('.') : declared.Trim();
        switch (name.ToLowerInvariant())
        {
            case "csv":
                format = TableFormat.Csv;
                return true;
            case "tsv":
            case "tab":
                format = TableFormat.Tsv;
                return true;
            case "jsonl":
            case "ndjson":
                format = TableFormat.JsonLines;
                return true;
            case "parquet":
            case "pq":
                format = TableFormat.Parquet;
                return true;
            default:
                format = default;
                error = string.IsNullOrWhiteSpace(declared)
                    ? $"its extension '{Path.GetExtension(path)}' names no data format; declare Format (csv, tsv, jsonl or parquet)"
                    : $"'{declared}' is not a data format (csv, tsv, jsonl or parquet)";
                return false;
        }
    }

    public static string Name(this TableFormat format) => format switch
    {
        TableFormat.Csv => "csv",
        TableFormat.Tsv => "tsv",
        TableFormat.JsonLines => "jsonl",
        _ => "parquet",
    };
}

/// <summary>The data cannot be read as its declared format (MLG704), at a 1-based line and column when known.</summary>
public sealed class DataFormatException(string reason, long line = 0, int column = 0) : Exception(reason)
{
    public string Reason { get; } = reason;

    public long Line { get; } = line;

    public int Column { get; } = column;
}
