namespace MlBuildGuard.Core.Locking;

/// <summary>A lock file that is not what SPEC §4 describes; carries the 1-based line and column of the problem.</summary>
public sealed class LockFileException(string reason, int line, int column) : IO.PositionedException(reason, line, column);
