using System.Globalization;
using MlBuildGuard.Core.DataValidation;
using MlBuildGuard.Core.Locking;

namespace MlBuildGuard.Core.Metrics;

/// <summary>
/// A metrics file as DVC and MLflow write it (SPEC §6): a JSON object whose values are numbers, nested objects flattened
/// with '.' (<c>{"test": {"auc": 0.9}}</c> is <c>test.auc</c>). Values that are not finite numbers (strings, booleans,
/// arrays, null) are kept aside as <see cref="NonNumeric"/>: they matter only when a threshold names them (MLG712).
/// A file Python wrote with <c>NaN</c> or <c>Infinity</c> is not JSON and is refused with its place.
/// </summary>
public sealed class MetricsFile
{
    public const long MaxSize = 4L << 20;

    public SortedDictionary<string, double> Values { get; } = new(Utf8OrdinalComparer.Instance);

    /// <summary>Metric names whose value is not a finite number, with what it is instead and where.</summary>
    public SortedDictionary<string, (string What, int Line, int Column)> NonNumeric { get; } = new(Utf8OrdinalComparer.Instance);

    /// <exception cref="SchemaException">Not a JSON object of metrics; carries line and column.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static MetricsFile Read(string path)
    {
        var length = new FileInfo(path).Length;
        if (length > MaxSize)
        {
            throw new SchemaException($"it is {length} bytes, more than the {MaxSize >> 20} MiB a metrics file may have", 0, 0);
        }

        return Parse(File.ReadAllBytes(path));
    }

    public static MetricsFile Parse(ReadOnlySpan<byte> utf8)
    {
        var root = ParseDocument(utf8);
        if (root.Kind != NodeKind.Object)
        {
            throw root.Error($"a metrics file is a JSON object of metric names and numbers, not {root.Describe()}");
        }

        var file = new MetricsFile();
        Flatten(root, "", file);
        return file;
    }

    private static DocumentNode ParseDocument(ReadOnlySpan<byte> utf8)
    {
        try
        {
            return DocumentParser.ParseJson(utf8);
        }
        catch (SchemaException e) when (NonFiniteAt(utf8, e.Line, e.Column) is { } literal)
        {
            throw new SchemaException($"a metric is {literal}, which is not a number JSON allows (a failed evaluation writes NaN)", e.Line, e.Column);
        }
    }

    /// <summary>Whether the JSON error is at a Python-style NaN/Infinity literal: say so plainly.</summary>
    private static string? NonFiniteAt(ReadOnlySpan<byte> utf8, int line, int column)
    {
        var text = System.Text.Encoding.UTF8.GetString(utf8);
        var lines = text.Split('\n');
        if (line < 1 || line > lines.Length)
        {
            return null;
        }

        var rest = lines[line - 1].AsSpan(Math.Clamp(column - 1, 0, lines[line - 1].Length)).TrimStart(" :-+");
        return rest.StartsWith("NaN") ? "NaN" : rest.StartsWith("Infinity") ? "Infinity" : null;
    }

    private static void Flatten(DocumentNode node, string prefix, MetricsFile file)
    {
        foreach (var property in node.Properties)
        {
            var name = prefix.Length == 0 ? property.Key : prefix + "." + property.Key;
            var value = property.Value;
            switch (value.Kind)
            {
                case NodeKind.Object:
                    Flatten(value, name, file);
                    break;
                case NodeKind.Number when double.TryParse(value.Scalar, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d):
                    if (!file.Values.TryAdd(name, d) || file.NonNumeric.ContainsKey(name))
                    {
                        throw property.Error($"the metric '{name}' is given twice (a key with a '.' and a nested object name the same metric)");
                    }

                    break;
                default:
                    file.NonNumeric[name] = (value.Kind == NodeKind.Number ? "a number too large for a double" : value.Describe(), property.Line, property.Column);
                    break;
            }
        }
    }
}
