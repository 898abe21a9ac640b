namespace MlBuildGuard.Core.DataValidation;

public enum NodeKind
{
    Object,
    Array,
    String,
    Number,
    Boolean,
    Null,
}

/// <summary>
/// A JSON or YAML value with the line and column where it starts, so that a schema's meaning can be checked once, whatever
/// syntax it was written in, and every complaint can point at its place.
/// </summary>
public sealed class DocumentNode
{
    private DocumentNode(NodeKind kind, int line, int column)
    {
        Kind = kind;
        Line = line;
        Column = column;
    }

    public NodeKind Kind { get; }

    public int Line { get; }

    public int Column { get; }

    /// <summary>A string's value, a number's text as written, "true"/"false"; null for the other kinds.</summary>
    public string? Scalar { get; private init; }

    /// <summary>An object's properties in document order (keys are unique).</summary>
    public IReadOnlyList<DocumentProperty> Properties { get; private init; } = [];

    public IReadOnlyList<DocumentNode> Items { get; private init; } = [];

    public static DocumentNode ScalarNode(NodeKind kind, string? text, int line, int column) => new(kind, line, column) { Scalar = text };

    public static DocumentNode ObjectNode(List<DocumentProperty> properties, int line, int column) => new(NodeKind.Object, line, column) { Properties = properties };

    public static DocumentNode ArrayNode(List<DocumentNode> items, int line, int column) => new(NodeKind.Array, line, column) { Items = items };

    public DocumentNode? this[string key] => Properties.FirstOrDefault(p => p.Key == key)?.Value;

    public SchemaException Error(string reason) => new(reason, Line, Column);

    public string Describe() => Kind switch
    {
        NodeKind.Object => "an object",
        NodeKind.Array => "an array",
        NodeKind.String => "a string",
        NodeKind.Number => "a number",
        NodeKind.Boolean => "a boolean",
        _ => "null",
    };
}

/// <summary>One key of an object, with where the key is written.</summary>
public sealed record DocumentProperty(string Key, int Line, int Column, DocumentNode Value)
{
    public SchemaException Error(string reason) => new(reason, Line, Column);
}
