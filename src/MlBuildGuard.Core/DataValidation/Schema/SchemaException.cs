namespace MlBuildGuard.Core.DataValidation;

/// <summary>A schema (or metrics, or other small configuration document) that is not what it must be, at a 1-based line and column.</summary>
public sealed class SchemaException : Exception
{
    public SchemaException(string reason, int line, int column)
        : base(line > 0 ? $"{reason} (line {line}, column {column})" : reason)
    {
        Reason = reason;
        Line = line;
        Column = column;
    }

    public string Reason { get; }

    public int Line { get; }

    public int Column { get; }
}
