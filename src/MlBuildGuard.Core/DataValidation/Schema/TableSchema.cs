using System.Text.RegularExpressions;

namespace MlBuildGuard.Core.DataValidation;

/// <summary>
/// A Frictionless Table Schema (v1) as MlBuildGuard checks it: fields in order, missing values, keys, and the table
/// expectations of its <c>mlguard</c> key. Built by <see cref="TableSchemaReader"/>, which has refused anything invalid.
/// </summary>
public sealed class TableSchema
{
    public static readonly IReadOnlyList<string> DefaultMissingValues = [""];

    public required IReadOnlyList<SchemaField> Fields { get; init; }

    public IReadOnlyList<string> MissingValues { get; init; } = DefaultMissingValues;

    /// <summary>The primary key's field names (one or several); empty when none.</summary>
    public IReadOnlyList<string> PrimaryKey { get; init; } = [];

    /// <summary>Further unique keys (Table Schema v2 <c>uniqueKeys</c>): each a list of field names.</summary>
    public IReadOnlyList<IReadOnlyList<string>> UniqueKeys { get; init; } = [];

    public TableExpectations Expectations { get; init; } = new();

    /// <summary>SHA-256 (lowercase hex) of the schema file's bytes: part of every cached verdict's key.</summary>
    public string Digest { get; init; } = "";

    /// <summary>Where the schema was read from, as given.</summary>
    public string Path { get; init; } = "";

    public SchemaField? Find(string name) => Fields.FirstOrDefault(f => f.Name == name);
}

/// <summary>One field of a Table Schema.</summary>
public sealed class SchemaField
{
    public required string Name { get; init; }

    public FieldType Type { get; init; } = FieldType.String;

    public string Format { get; init; } = "default";

    public FieldConstraints Constraints { get; init; } = new();

    /// <summary>Field-level missing values (Table Schema v2), overriding the schema's; null when not set.</summary>
    public IReadOnlyList<string>? MissingValues { get; init; }

    public required FieldParser Parser { get; init; }

    /// <summary>Where the field is declared in the schema file.</summary>
    public int Line { get; init; }

    public int Column { get; init; }
}

/// <summary>The <c>constraints</c> of a field, with limits already cast to the field's type.</summary>
public sealed class FieldConstraints
{
    public bool Required { get; init; }

    public bool Unique { get; init; }

    public CellValue? Minimum { get; init; }

    /// <summary>The limits as written, for messages.</summary>
    public string? MinimumText { get; init; }

    public CellValue? Maximum { get; init; }

    public string? MaximumText { get; init; }

    public int? MinLength { get; init; }

    public int? MaxLength { get; init; }

    /// <summary>The whole value must match (XML Schema semantics: the pattern is anchored at both ends).</summary>
    public Regex? Pattern { get; init; }

    public string? PatternText { get; init; }

    /// <summary>Hashes (<see cref="ValueKey"/>) of the allowed values, cast to the field's type; null when no enum.</summary>
    public IReadOnlySet<ulong>? Enum { get; init; }

    public IReadOnlyList<string>? EnumText { get; init; }
}

/// <summary>
/// Table-level expectations, from the schema's top-level <c>mlguard</c> key (docs/data-validation.md):
/// <c>minRows</c>, <c>maxRows</c>, <c>maxNullFraction</c> (field → fraction, <c>"*"</c> for every other field),
/// <c>labels</c> (<c>field</c>, <c>minShare</c>, optional <c>values</c> that must each reach it), <c>maxUniqueKeys</c>
/// and <c>drift</c> thresholds.
/// </summary>
public sealed class TableExpectations
{
    /// <summary>Distinct keys a <c>unique</c> or key constraint may track before the check gives up (fails closed).</summary>
    public const long DefaultMaxUniqueKeys = 16_000_000;

    public long? MinRows { get; init; }

    public long? MaxRows { get; init; }

    public IReadOnlyDictionary<string, double> MaxNullFraction { get; init; } = new Dictionary<string, double>();

    /// <summary>The <c>"*"</c> entry of <c>maxNullFraction</c>: every field without its own entry.</summary>
    public double? DefaultMaxNullFraction { get; init; }

    public LabelExpectation? Labels { get; init; }

    public long MaxUniqueKeys { get; init; } = DefaultMaxUniqueKeys;

    public DriftThresholds Drift { get; init; } = DriftThresholds.Default;

    public double? MaxNullFractionOf(string field) => MaxNullFraction.TryGetValue(field, out var f) ? f : DefaultMaxNullFraction;
}

/// <summary>Every value of <see cref="Field"/> (or each of <see cref="Values"/>) must make up at least <see cref="MinShare"/> of the rows.</summary>
public sealed record LabelExpectation(string Field, double MinShare, IReadOnlyList<string>? Values);
