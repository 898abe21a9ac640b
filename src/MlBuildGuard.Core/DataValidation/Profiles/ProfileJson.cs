using System.Text.Json;
using MlBuildGuard.Core.Locking;

namespace MlBuildGuard.Core.DataValidation;

/// <summary>
/// The JSON form of a <see cref="DataProfile"/>, shared by the lock's <c>dataProfiles</c> and the verdict cache: keys in
/// UTF-8 byte order, numbers in their shortest round-trip form (what <see cref="Utf8JsonWriter"/> writes for a double), so
/// reading and writing an unchanged profile gives the same bytes. Reading is strict: unknown keys, wrong types,
/// non-finite numbers and histograms whose sizes disagree are refused through <c>fail</c>.
/// </summary>
public static class ProfileJson
{
    public delegate Exception Failure(string reason, long offset);

    public static void Write(Utf8JsonWriter writer, DataProfile profile)
    {
        writer.WriteStartObject();
        writer.WriteStartObject("columns");
        foreach (var (name, column) in profile.Columns)
        {
            writer.WriteStartObject(name);
            if (column.Categories is { } categories)
            {
                writer.WriteStartObject("categories");
                foreach (var (value, share) in categories)
                {
                    writer.WriteNumber(value, share);
                }

                writer.WriteEndObject();
            }

            if (column.Histogram is { } histogram)
            {
                writer.WriteStartObject("histogram");
                Numbers(writer, "edges", histogram.Edges);
                Numbers(writer, "fractions", histogram.Fractions);
                writer.WriteEndObject();
            }

            writer.WriteString("kind", column.Kind);
            Optional(writer, "max", column.Max);
            Optional(writer, "mean", column.Mean);
            Optional(writer, "min", column.Min);
            writer.WriteNumber("nullFraction", column.NullFraction);
            Optional(writer, "other", column.Other);
            Optional(writer, "stddev", column.StdDev);
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
        writer.WriteNumber("rows", profile.Rows);
        writer.WriteEndObject();
    }

    private static void Numbers(Utf8JsonWriter writer, string name, double[] values)
    {
        writer.WriteStartArray(name);
        foreach (var v in values)
        {
            writer.WriteNumberValue(v);
        }

        writer.WriteEndArray();
    }

    private static void Optional(Utf8JsonWriter writer, string name, double? value)
    {
        if (value is { } v)
        {
            writer.WriteNumber(name, v);
        }
    }

    /// <summary>Reads a profile object; the reader is on its <c>StartObject</c> and ends on its <c>EndObject</c>.</summary>
    public static DataProfile Read(ref Utf8JsonReader reader, Failure fail)
    {
        Expect(ref reader, JsonTokenType.StartObject, "a data profile must be an object", fail);
        long? rows = null;
        SortedDictionary<string, ColumnProfile>? columns = null;
        var start = reader.TokenStartIndex;
        while (Next(ref reader) != JsonTokenType.EndObject)
        {
            var offset = reader.TokenStartIndex;
            var name = reader.GetString()!;
            reader.Read();
            switch (name)
            {
                case "rows" when rows is null:
                    rows = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var r) && r >= 0 ? r : throw fail("'rows' must be a non-negative integer", reader.TokenStartIndex);
                    break;
                case "columns" when columns is null:
                    columns = ReadColumns(ref reader, fail);
                    break;
                default:
                    throw fail($"a data profile has an unknown or repeated property '{name}'", offset);
            }
        }

        return new DataProfile(rows ?? throw fail("a data profile needs 'rows'", start), columns ?? throw fail("a data profile needs 'columns'", start));
    }

    private static SortedDictionary<string, ColumnProfile> ReadColumns(ref Utf8JsonReader reader, Failure fail)
    {
        Expect(ref reader, JsonTokenType.StartObject, "'columns' must be an object", fail);
        var columns = new SortedDictionary<string, ColumnProfile>(Utf8OrdinalComparer.Instance);
        while (Next(ref reader) != JsonTokenType.EndObject)
        {
            var offset = reader.TokenStartIndex;
            var name = reader.GetString()!;
            if (columns.ContainsKey(name))
            {
                throw fail($"column '{name}' appears twice", offset);
            }

            reader.Read();
            columns[name] = ReadColumn(ref reader, name, fail);
        }

        return columns;
    }

    private static ColumnProfile ReadColumn(ref Utf8JsonReader reader, string column, Failure fail)
    {
        Expect(ref reader, JsonTokenType.StartObject, $"column '{column}' must be an object", fail);
        var start = reader.TokenStartIndex;
        string? kind = null;
        double? nulls = null, min = null, max = null, mean = null, sd = null, other = null;
        Histogram? histogram = null;
        SortedDictionary<string, double>? categories = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (Next(ref reader) != JsonTokenType.EndObject)
        {
            var offset = reader.TokenStartIndex;
            var name = reader.GetString()!;
            if (!seen.Add(name))
            {
                throw fail($"column '{column}' repeats '{name}'", offset);
            }

            reader.Read();
            switch (name)
            {
                case "kind":
                    kind = reader.TokenType == JsonTokenType.String && reader.GetString() is ColumnKinds.Numeric or ColumnKinds.Categorical or ColumnKinds.Other
                        ? reader.GetString()
                        : throw fail($"column '{column}': 'kind' must be numeric, categorical or other", reader.TokenStartIndex);
                    break;
                case "nullFraction":
                    nulls = Number(ref reader, column, name, fail);
                    break;
                case "min":
                    min = Number(ref reader, column, name, fail);
                    break;
                case "max":
                    max = Number(ref reader, column, name, fail);
                    break;
                case "mean":
                    mean = Number(ref reader, column, name, fail);
                    break;
                case "stddev":
                    sd = Number(ref reader, column, name, fail);
                    break;
                case "other":
                    other = Number(ref reader, column, name, fail);
                    break;
                case "histogram":
                    histogram = ReadHistogram(ref reader, column, fail);
                    break;
                case "categories":
                    Expect(ref reader, JsonTokenType.StartObject, $"column '{column}': 'categories' must be an object", fail);
                    categories = new SortedDictionary<string, double>(Utf8OrdinalComparer.Instance);
                    while (Next(ref reader) != JsonTokenType.EndObject)
                    {
                        var value = reader.GetString()!;
                        reader.Read();
                        categories[value] = Number(ref reader, column, "categories", fail);
                    }

                    break;
                default:
                    throw fail($"column '{column}' has an unknown property '{name}'", offset);
            }
        }

        return new ColumnProfile
        {
            Kind = kind ?? throw fail($"column '{column}' needs 'kind'", start),
            NullFraction = nulls ?? throw fail($"column '{column}' needs 'nullFraction'", start),
            Min = min,
            Max = max,
            Mean = mean,
            StdDev = sd,
            Other = other,
            Histogram = histogram,
            Categories = categories,
        };
    }

    private static Histogram ReadHistogram(ref Utf8JsonReader reader, string column, Failure fail)
    {
        Expect(ref reader, JsonTokenType.StartObject, $"column '{column}': 'histogram' must be an object", fail);
        var start = reader.TokenStartIndex;
        double[]? edges = null, fractions = null;
        while (Next(ref reader) != JsonTokenType.EndObject)
        {
            var offset = reader.TokenStartIndex;
            var name = reader.GetString()!;
            reader.Read();
            var values = new List<double>();
            Expect(ref reader, JsonTokenType.StartArray, $"column '{column}': histogram '{name}' must be an array of numbers", fail);
            while (Next(ref reader) != JsonTokenType.EndArray)
            {
                values.Add(Number(ref reader, column, "histogram", fail));
            }

            switch (name)
            {
                case "edges" when edges is null:
                    edges = values.ToArray();
                    break;
                case "fractions" when fractions is null:
                    fractions = values.ToArray();
                    break;
                default:
                    throw fail($"column '{column}': the histogram has an unknown or repeated property '{name}'", offset);
            }
        }

        if (edges is null || fractions is null || fractions.Length == 0 || edges.Length != fractions.Length + 1)
        {
            throw fail($"column '{column}': a histogram needs 'edges' and 'fractions', one more edge than fractions", start);
        }

        for (var i = 1; i < edges.Length; i++)
        {
            if (edges[i] < edges[i - 1])
            {
                throw fail($"column '{column}': histogram edges must not decrease", start);
            }
        }

        return new Histogram(edges, fractions);
    }

    private static double Number(ref Utf8JsonReader reader, string column, string name, Failure fail) =>
        reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out var d) && double.IsFinite(d)
            ? d
            : throw fail($"column '{column}': '{name}' must be a finite number", reader.TokenStartIndex);

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type, string message, Failure fail)
    {
        if (reader.TokenType != type)
        {
            throw fail(message, reader.TokenStartIndex);
        }
    }

    private static JsonTokenType Next(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
        {
            throw new JsonException("The JSON ends before the object is closed.");
        }

        return reader.TokenType;
    }
}
