using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace MlBuildGuard.Core.DataValidation;

/// <summary>
/// Reads a Frictionless Table Schema (JSON, or YAML for .yaml/.yml files) and checks its meaning: known types and
/// formats, constraints that fit their field's type and cast to it, keys that name fields, and the <c>mlguard</c>
/// expectations. Anything wrong is a <see cref="SchemaException"/> with line and column (MLG704). Keys a schema may
/// carry for people (<c>title</c>, <c>description</c>, …) are accepted; unknown keys inside <c>constraints</c> and
/// <c>mlguard</c> are refused, since a misspelt constraint would otherwise silently check nothing.
/// </summary>
public static class TableSchemaReader
{
    private static readonly HashSet<string> TopLevelKeys = new(StringComparer.Ordinal)
    {
        "fields", "missingValues", "primaryKey", "uniqueKeys", "foreignKeys", "mlguard", "$schema", "name", "title", "description",
        "fieldsMatch", "profile",
    };

    private static readonly HashSet<string> FieldKeys = new(StringComparer.Ordinal)
    {
        "name", "title", "description", "example", "type", "format", "constraints", "trueValues", "falseValues", "decimalChar",
        "groupChar", "bareNumber", "missingValues", "rdfType", "categories", "categoriesOrdered",
    };

    private static readonly TimeSpan PatternTimeout = TimeSpan.FromSeconds(1);

    public static TableSchema ReadFile(string path)
    {
        var root = DocumentParser.ReadFile(path);
        return Interpret(root, Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))), path);
    }

    public static TableSchema Parse(ReadOnlySpan<byte> bytes, bool yaml, string path = "schema")
    {
        var root = yaml ? DocumentParser.ParseYaml(bytes) : DocumentParser.ParseJson(bytes);
        return Interpret(root, Convert.ToHexStringLower(SHA256.HashData(bytes)), path);
    }

    private static TableSchema Interpret(DocumentNode root, string digest, string path)
    {
        if (root.Kind != NodeKind.Object)
        {
            throw root.Error($"a Table Schema is an object with 'fields', not {root.Describe()}");
        }

        foreach (var p in root.Properties)
        {
            if (!TopLevelKeys.Contains(p.Key))
            {
                throw p.Error($"unknown key '{p.Key}' (a Table Schema has fields, missingValues, primaryKey, uniqueKeys; MlBuildGuard's expectations go under 'mlguard')");
            }
        }

        if (root["foreignKeys"] is { } foreign)
        {
            throw foreign.Error("'foreignKeys' is not supported: a foreign key needs the other table, and MlBuildGuard checks one file at a time");
        }

        if (root["fieldsMatch"] is { } match && match.Scalar != "exact")
        {
            throw match.Error("only fieldsMatch 'exact' is supported (the file has exactly the schema's fields, in order)");
        }

        var missing = root["missingValues"] is { } mv ? Strings(mv, "missingValues") : TableSchema.DefaultMissingValues;
        var fieldsNode = root["fields"] ?? throw root.Error("a Table Schema needs 'fields'");
        if (fieldsNode.Kind != NodeKind.Array || fieldsNode.Items.Count == 0)
        {
            throw fieldsNode.Error("'fields' must be a non-empty array of field objects");
        }

        var fields = new List<SchemaField>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in fieldsNode.Items)
        {
            var field = ReadField(node);
            if (!names.Add(field.Name))
            {
                throw node.Error($"two fields are named '{field.Name}'");
            }

            fields.Add(field);
        }

        var primaryKey = root["primaryKey"] is { } pk ? Key(pk, "primaryKey", names) : [];
        var uniqueKeys = new List<IReadOnlyList<string>>();
        if (root["uniqueKeys"] is { } uk)
        {
            if (uk.Kind != NodeKind.Array)
            {
                throw uk.Error("'uniqueKeys' must be an array of field-name arrays");
            }

            uniqueKeys.AddRange(uk.Items.Select(item => Key(item, "uniqueKeys", names)));
        }

        var expectations = root["mlguard"] is { } ml ? ExpectationsReader.Read(ml, names) : new TableExpectations();
        return new TableSchema
        {
            Fields = fields,
            MissingValues = missing,
            PrimaryKey = primaryKey,
            UniqueKeys = uniqueKeys,
            Expectations = expectations,
            Digest = digest,
            Path = path,
        };
    }

    private static IReadOnlyList<string> Key(DocumentNode node, string what, HashSet<string> names)
    {
        IReadOnlyList<string> key = node.Kind == NodeKind.String ? [node.Scalar!] : Strings(node, what);
        if (key.Count == 0)
        {
            throw node.Error($"'{what}' names no field");
        }

        foreach (var name in key)
        {
            if (!names.Contains(name))
            {
                throw node.Error($"'{what}' names '{name}', which is not a field of the schema");
            }
        }

        if (key.Distinct(StringComparer.Ordinal).Count() != key.Count)
        {
            throw node.Error($"'{what}' names a field twice");
        }

        return key;
    }

    private static SchemaField ReadField(DocumentNode node)
    {
        if (node.Kind != NodeKind.Object)
        {
            throw node.Error($"a field must be an object, not {node.Describe()}");
        }

        foreach (var p in node.Properties)
        {
            if (!FieldKeys.Contains(p.Key))
            {
                throw p.Error($"unknown field key '{p.Key}' (did you mean one of: {string.Join(", ", FieldKeys.Order(StringComparer.Ordinal))}?)");
            }
        }

        var name = node["name"] is { Kind: NodeKind.String, Scalar: { Length: > 0 } n } ? n : throw node.Error("a field needs a non-empty string 'name'");
        var type = FieldType.String;
        if (node["type"] is { } typeNode)
        {
            if (typeNode.Kind != NodeKind.String || !FieldTypes.TryParse(typeNode.Scalar!, out type))
            {
                throw typeNode.Error($"field '{name}': unknown type '{typeNode.Scalar}' (one of: {string.Join(", ", FieldTypes.Names)})");
            }
        }

        var format = node["format"] is { } fmt ? (fmt.Kind == NodeKind.String ? fmt.Scalar! : throw fmt.Error($"field '{name}': 'format' must be a string")) : "default";
        var decimalChar = node["decimalChar"] is { } dc ? (dc is { Kind: NodeKind.String, Scalar.Length: 1 } ? dc.Scalar[0] : throw dc.Error($"field '{name}': 'decimalChar' must be one character")) : '.';
        var groupChar = node["groupChar"] is { } gc ? (gc is { Kind: NodeKind.String, Scalar.Length: <= 1 } ? gc.Scalar : throw gc.Error($"field '{name}': 'groupChar' must be one character")) : "";
        var bareNumber = node["bareNumber"] is not { } bn || Boolean(bn, $"field '{name}': 'bareNumber'");
        FieldParser parser;
        try
        {
            parser = new FieldParser(type, format, node["trueValues"] is { } tv ? Strings(tv, "trueValues") : null,
                node["falseValues"] is { } fv ? Strings(fv, "falseValues") : null, decimalChar, groupChar, bareNumber);
        }
        catch (ArgumentException e)
        {
            throw (node["format"] ?? node).Error($"field '{name}': {e.Message}");
        }

        return new SchemaField
        {
            Name = name,
            Type = type,
            Format = format,
            Parser = parser,
            MissingValues = node["missingValues"] is { } fm ? Strings(fm, "missingValues") : null,
            Constraints = node["constraints"] is { } c ? ReadConstraints(c, name, type, parser) : new FieldConstraints(),
            Line = node.Line,
            Column = node.Column,
        };
    }

    private static FieldConstraints ReadConstraints(DocumentNode node, string field, FieldType type, FieldParser parser)
    {
        if (node.Kind != NodeKind.Object)
        {
            throw node.Error($"field '{field}': 'constraints' must be an object");
        }

        bool required = false, unique = false;
        CellValue? minimum = null, maximum = null;
        string? minimumText = null, maximumText = null, patternText = null;
        int? minLength = null, maxLength = null;
        Regex? pattern = null;
        HashSet<ulong>? enumKeys = null;
        List<string>? enumText = null;
        foreach (var p in node.Properties)
        {
            var v = p.Value;
            switch (p.Key)
            {
                case "required":
                    required = Boolean(v, $"field '{field}': 'required'");
                    break;
                case "unique":
                    unique = Boolean(v, $"field '{field}': 'unique'");
                    break;
                case "minimum":
                case "maximum":
                    if (!type.IsOrdered())
                    {
                        throw p.Error($"field '{field}': '{p.Key}' does not apply to type '{type.Name()}'");
                    }

                    var limitText = v.Kind is NodeKind.String or NodeKind.Number ? v.Scalar! : throw v.Error($"field '{field}': '{p.Key}' must be a value of the field's type");
                    var limit = Cast(parser, v, limitText, field, p.Key);
                    if (p.Key == "minimum")
                    {
                        (minimum, minimumText) = (limit, limitText);
                    }
                    else
                    {
                        (maximum, maximumText) = (limit, limitText);
                    }

                    break;
                case "minLength":
                case "maxLength":
                    if (!type.HasLength())
                    {
                        throw p.Error($"field '{field}': '{p.Key}' does not apply to type '{type.Name()}'");
                    }

                    if (v.Kind != NodeKind.Number || !int.TryParse(v.Scalar, NumberStyles.None, CultureInfo.InvariantCulture, out var length))
                    {
                        throw v.Error($"field '{field}': '{p.Key}' must be a non-negative integer");
                    }

                    if (p.Key == "minLength")
                    {
                        minLength = length;
                    }
                    else
                    {
                        maxLength = length;
                    }

                    break;
                case "pattern":
                    patternText = v.Kind == NodeKind.String ? v.Scalar! : throw v.Error($"field '{field}': 'pattern' must be a string");
                    pattern = CompilePattern(v, patternText, field);
                    break;
                case "enum":
                    if (v.Kind != NodeKind.Array || v.Items.Count == 0)
                    {
                        throw v.Error($"field '{field}': 'enum' must be a non-empty array");
                    }

                    enumKeys = new HashSet<ulong>();
                    enumText = new List<string>();
                    foreach (var item in v.Items)
                    {
                        var text = item.Kind is NodeKind.String or NodeKind.Number or NodeKind.Boolean ? item.Scalar! : throw item.Error($"field '{field}': 'enum' values must be strings, numbers or booleans");
                        var cast = Cast(parser, item, text, field, "enum");
                        enumKeys.Add(ValueKey.Of(text, cast));
                        enumText.Add(text);
                    }

                    break;
                default:
                    throw p.Error($"field '{field}': unknown constraint '{p.Key}' (one of: required, unique, minimum, maximum, minLength, maxLength, pattern, enum)");
            }
        }

        if (minimum is { } lo && maximum is { } hi && lo.CompareTo(hi) > 0)
        {
            throw node.Error($"field '{field}': 'minimum' {minimumText} is above 'maximum' {maximumText}");
        }

        if (minLength > maxLength)
        {
            throw node.Error($"field '{field}': 'minLength' {minLength} is above 'maxLength' {maxLength}");
        }

        return new FieldConstraints
        {
            Required = required,
            Unique = unique,
            Minimum = minimum,
            MinimumText = minimumText,
            Maximum = maximum,
            MaximumText = maximumText,
            MinLength = minLength,
            MaxLength = maxLength,
            Pattern = pattern,
            PatternText = patternText,
            Enum = enumKeys,
            EnumText = enumText,
        };
    }

    private static CellValue Cast(FieldParser parser, DocumentNode node, string text, string field, string what)
    {
        // A boolean enum value may be written as a JSON boolean; the parser knows "true"/"false" by default.
        if (!parser.TryParse(text, out var value))
        {
            throw node.Error($"field '{field}': '{what}' value '{text}' is not a {parser.Type.Name()}");
        }

        return value;
    }

    /// <summary>
    /// Table Schema patterns are XML Schema regular expressions, which match the whole value. .NET's non-backtracking
    /// engine runs in time linear in the cell's length, so a hostile pattern cannot stall a build.
    /// </summary>
    private static Regex CompilePattern(DocumentNode node, string pattern, string field)
    {
        try
        {
            return new Regex($"^(?:{pattern})$", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking, PatternTimeout);
        }
        catch (ArgumentException e)
        {
            throw node.Error($"field '{field}': 'pattern' is not a regular expression MlBuildGuard can run in linear time: {e.Message.TrimEnd('.')}");
        }
        catch (NotSupportedException e)
        {
            throw node.Error($"field '{field}': 'pattern' uses a construct without linear-time matching (backreferences, lookarounds): {e.Message.TrimEnd('.')}");
        }
    }

    internal static bool Boolean(DocumentNode node, string what) =>
        node.Kind == NodeKind.Boolean ? node.Scalar == "true" : throw node.Error($"{what} must be true or false");

    internal static IReadOnlyList<string> Strings(DocumentNode node, string what)
    {
        if (node.Kind != NodeKind.Array || node.Items.Any(i => i.Kind != NodeKind.String))
        {
            throw node.Error($"'{what}' must be an array of strings");
        }

        return node.Items.Select(i => i.Scalar!).ToArray();
    }
}
