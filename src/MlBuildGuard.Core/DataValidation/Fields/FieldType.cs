namespace MlBuildGuard.Core.DataValidation;

/// <summary>The field types of Frictionless Table Schema (v1), by their names in a schema.</summary>
public enum FieldType
{
    String,
    Number,
    Integer,
    Boolean,
    Object,
    Array,
    Date,
    Time,
    DateTime,
    Year,
    YearMonth,
    Duration,
    GeoPoint,
    GeoJson,
    Any,
}

public static class FieldTypes
{
    private static readonly Dictionary<string, FieldType> ByName = new(StringComparer.Ordinal)
    {
        ["string"] = FieldType.String,
        ["number"] = FieldType.Number,
        ["integer"] = FieldType.Integer,
        ["boolean"] = FieldType.Boolean,
        ["object"] = FieldType.Object,
        ["array"] = FieldType.Array,
        ["date"] = FieldType.Date,
        ["time"] = FieldType.Time,
        ["datetime"] = FieldType.DateTime,
        ["year"] = FieldType.Year,
        ["yearmonth"] = FieldType.YearMonth,
        ["duration"] = FieldType.Duration,
        ["geopoint"] = FieldType.GeoPoint,
        ["geojson"] = FieldType.GeoJson,
        ["any"] = FieldType.Any,
    };

    public static IEnumerable<string> Names => ByName.Keys;

    public static bool TryParse(string name, out FieldType type) => ByName.TryGetValue(name, out type);

    public static string Name(this FieldType type) => ByName.First(p => p.Value == type).Key;

    /// <summary>Types whose values are ordered, so <c>minimum</c>/<c>maximum</c> apply.</summary>
    public static bool IsOrdered(this FieldType type) =>
        type is FieldType.Number or FieldType.Integer or FieldType.Date or FieldType.Time or FieldType.DateTime or FieldType.Year or FieldType.YearMonth;

    /// <summary>Types whose values have a length, so <c>minLength</c>/<c>maxLength</c> apply.</summary>
    public static bool HasLength(this FieldType type) => type is FieldType.String or FieldType.Array or FieldType.Object;

    /// <summary>Types profiled with numeric statistics (mean, deviation, histogram); the others by category frequencies.</summary>
    public static bool IsNumeric(this FieldType type) => type is FieldType.Number or FieldType.Integer or FieldType.Year;

    /// <summary>Types profiled by category frequencies.</summary>
    public static bool IsCategorical(this FieldType type) => type is FieldType.String or FieldType.Boolean;
}
