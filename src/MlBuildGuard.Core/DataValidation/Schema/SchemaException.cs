namespace MlBuildGuard.Core.DataValidation;

/// <summary>A schema, or another small document (a metrics file), that is not what it must be, at a 1-based line and column.</summary>
public sealed class SchemaException(string reason, int line, int column) : IO.PositionedException(reason, line, column);
