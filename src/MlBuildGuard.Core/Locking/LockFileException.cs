namespace MlBuildGuard.Core.Locking;

/// <summary>A lock file that is not what SPEC §4 describes; carries the 1-based line and column of the problem.</summary>
public sealed class LockFileException : Exception
{
    public LockFileException(string reason, int line, int column)
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
