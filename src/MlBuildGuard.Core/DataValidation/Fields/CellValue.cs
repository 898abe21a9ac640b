namespace MlBuildGuard.Core.DataValidation;

/// <summary>
/// A cell's typed value, reduced to what the checks need: an exact integer (integers, years, dates as days, times and
/// datetimes as ticks, booleans as 0/1), a floating-point number, or just its text (strings, JSON, geo values).
/// </summary>
public readonly struct CellValue
{
    private CellValue(CellKind kind, long integer, double number)
    {
        Kind = kind;
        Integer = integer;
        Number = number;
    }

    public CellKind Kind { get; }

    public long Integer { get; }

    public double Number { get; }

    public static CellValue Text => default;

    public static CellValue FromInteger(long value) => new(CellKind.Integer, value, 0);

    public static CellValue FromNumber(double value) => new(CellKind.Number, 0, value == 0 ? 0 : value); // -0 counts as 0

    /// <summary>The value as a double (for statistics), or NaN for text.</summary>
    public double AsDouble => Kind switch
    {
        CellKind.Integer => Integer,
        CellKind.Number => Number,
        _ => double.NaN,
    };

    /// <summary>Orders two values of one ordered field; integers exactly, otherwise as doubles (NaN sorts first).</summary>
    public int CompareTo(CellValue other) =>
        Kind == CellKind.Integer && other.Kind == CellKind.Integer ? Integer.CompareTo(other.Integer) : AsDouble.CompareTo(other.AsDouble);
}

public enum CellKind : byte
{
    Text,
    Integer,
    Number,
}
