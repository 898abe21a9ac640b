using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using MlBuildGuard.Core.IO;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace MlBuildGuard.Core.DataValidation;

/// <summary>
/// Reads a small configuration document (a Table Schema, a metrics file) written in JSON (System.Text.Json) or YAML
/// (YamlDotNet) into <see cref="DocumentNode"/>s that know their line and column. Duplicate keys, documents larger than
/// <see cref="MaxSize"/>, deeper than <see cref="MaxDepth"/> or with more than <see cref="MaxNodes"/> values (alias bombs)
/// are refused with a <see cref="SchemaException"/>.
/// </summary>
public static partial class DocumentParser
{
    public const long MaxSize = 4L << 20;

    public const int MaxDepth = 64;

    public const int MaxNodes = 200_000;

    private static readonly JsonReaderOptions JsonOptions = new()
    {
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
        MaxDepth = MaxDepth,
    };

    /// <summary>Reads a file; YAML when its name ends in .yaml or .yml, JSON otherwise.</summary>
    public static DocumentNode ReadFile(string path)
    {
        var length = new FileInfo(path).Length;
        if (length > MaxSize)
        {
            throw new SchemaException($"it is {length} bytes, more than the {MaxSize >> 20} MiB allowed", 0, 0);
        }

        var bytes = File.ReadAllBytes(path);
        return IsYamlPath(path) ? ParseYaml(bytes) : ParseJson(bytes);
    }

    public static bool IsYamlPath(string path) =>
        path.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".yml", StringComparison.OrdinalIgnoreCase);

    public static DocumentNode ParseJson(ReadOnlySpan<byte> utf8)
    {
        if (utf8.StartsWith("\uFEFF"u8))
        {
            utf8 = utf8[3..];
        }

        var lines = new Utf8LineTable(utf8);
        if (Utf8LineTable.FirstInvalidUtf8(utf8) is var bad and >= 0)
        {
            // System.Text.Json checks UTF-8 only where it decodes a string; refuse it everywhere, with its place.
            var (badLine, badColumn) = lines.Position(bad);
            throw new SchemaException("the document is not valid UTF-8", badLine, badColumn);
        }

        var reader = new Utf8JsonReader(utf8, JsonOptions);
        var budget = MaxNodes;
        try
        {
            if (!reader.Read())
            {
                throw new SchemaException("the document is empty", 1, 1);
            }

            var root = ReadJsonValue(ref reader, lines, ref budget);
            if (reader.Read())
            {
                var (line, column) = lines.Position(reader.TokenStartIndex);
                throw new SchemaException("unexpected content after the JSON value", line, column);
            }

            return root;
        }
        catch (JsonException e)
        {
            var line = (int)(e.LineNumber ?? 0) + 1;
            throw new SchemaException(PositionedException.DescribeJsonError(e), line, lines.ColumnOfLineByte(line, (int)(e.BytePositionInLine ?? 0)));
        }
    }

    private static DocumentNode ReadJsonValue(ref Utf8JsonReader reader, Utf8LineTable lines, ref int budget)
    {
        if (--budget < 0)
        {
            throw new SchemaException($"more than {MaxNodes} values", 0, 0);
        }

        var (line, column) = lines.Position(reader.TokenStartIndex);
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                var properties = new List<DocumentProperty>();
                var seen = new HashSet<string>(StringComparer.Ordinal);
                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    var (keyLine, keyColumn) = lines.Position(reader.TokenStartIndex);
                    var key = reader.GetString()!;
                    if (!seen.Add(key))
                    {
                        throw new SchemaException($"duplicate key '{key}'", keyLine, keyColumn);
                    }

                    reader.Read();
                    properties.Add(new DocumentProperty(key, keyLine, keyColumn, ReadJsonValue(ref reader, lines, ref budget)));
                }

                return DocumentNode.ObjectNode(properties, line, column);
            case JsonTokenType.StartArray:
                var items = new List<DocumentNode>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    items.Add(ReadJsonValue(ref reader, lines, ref budget));
                }

                return DocumentNode.ArrayNode(items, line, column);
            case JsonTokenType.String:
                return DocumentNode.ScalarNode(NodeKind.String, reader.GetString(), line, column);
            case JsonTokenType.Number:
                return DocumentNode.ScalarNode(NodeKind.Number, Encoding.UTF8.GetString(reader.HasValueSequence ? System.Buffers.BuffersExtensions.ToArray(reader.ValueSequence) : reader.ValueSpan), line, column);
            case JsonTokenType.True:
                return DocumentNode.ScalarNode(NodeKind.Boolean, "true", line, column);
            case JsonTokenType.False:
                return DocumentNode.ScalarNode(NodeKind.Boolean, "false", line, column);
            default:
                return DocumentNode.ScalarNode(NodeKind.Null, null, line, column);
        }
    }

    public static DocumentNode ParseYaml(ReadOnlySpan<byte> utf8)
    {
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(utf8.StartsWith("\uFEFF"u8) ? utf8[3..] : utf8);
        }
        catch (DecoderFallbackException)
        {
            throw new SchemaException("the document is not valid UTF-8", 0, 0);
        }

        var last = new int[2]; // line and column of the last value started, for errors YamlDotNet raises without a mark
        try
        {
            var parser = new Parser(new StringReader(text));
            parser.Consume<StreamStart>();
            if (parser.Accept<StreamEnd>(out _))
            {
                throw new SchemaException("the document is empty", 1, 1);
            }

            parser.Consume<DocumentStart>();
            var anchors = new Dictionary<string, DocumentNode>(StringComparer.Ordinal);
            var budget = MaxNodes;
            var root = ReadYamlValue(parser, anchors, 0, ref budget, last);
            parser.Consume<DocumentEnd>();
            if (!parser.Accept<StreamEnd>(out _))
            {
                var next = parser.Current!;
                throw new SchemaException("a schema file holds one YAML document, not several", (int)next.Start.Line, (int)next.Start.Column);
            }

            return root;
        }
        catch (YamlException e)
        {
            var reason = e.InnerException is { } inner && inner is not YamlException ? inner.Message : e.Message;
            // YamlDotNet's message starts with its own position text; ours gives the position.
            var cut = reason.IndexOf("): ", StringComparison.Ordinal);
            if (reason.StartsWith('(') && cut > 0)
            {
                reason = reason[(cut + 3)..];
            }

            throw new SchemaException("invalid YAML: " + reason.TrimEnd('.', ' '), (int)e.Start.Line, (int)e.Start.Column);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or OverflowException or IndexOutOfRangeException)
        {
            throw new SchemaException("invalid YAML: " + e.Message.TrimEnd('.', ' '), last[0], last[1]);
        }
    }

    private static DocumentNode ReadYamlValue(IParser parser, Dictionary<string, DocumentNode> anchors, int depth, ref int budget, int[] last)
    {
        if (--budget < 0)
        {
            throw new SchemaException($"more than {MaxNodes} values", 0, 0);
        }

        if (depth > MaxDepth)
        {
            var at = parser.Current!;
            throw new SchemaException($"nested deeper than {MaxDepth} levels", (int)at.Start.Line, (int)at.Start.Column);
        }

        var current = parser.Current ?? throw new SchemaException("the document ends early", 0, 0);
        var line = (int)current.Start.Line;
        var column = (int)current.Start.Column;
        (last[0], last[1]) = (line, column);
        DocumentNode node;
        string? anchor = null;
        if (parser.TryConsume<AnchorAlias>(out var alias))
        {
            if (!anchors.TryGetValue(alias.Value.Value, out var target))
            {
                throw new SchemaException($"unknown alias '*{alias.Value.Value}'", line, column);
            }

            // An alias counts as a copy of what it names, so alias bombs exhaust the budget instead of the memory.
            budget -= Count(target);
            if (budget < 0)
            {
                throw new SchemaException($"more than {MaxNodes} values", line, column);
            }

            return target;
        }

        if (parser.TryConsume<Scalar>(out var scalar))
        {
            anchor = scalar.Anchor.IsEmpty ? null : scalar.Anchor.Value;
            node = ResolveScalar(scalar, line, column);
        }
        else if (parser.TryConsume<SequenceStart>(out var sequence))
        {
            anchor = sequence.Anchor.IsEmpty ? null : sequence.Anchor.Value;
            var items = new List<DocumentNode>();
            while (!parser.TryConsume<SequenceEnd>(out _))
            {
                items.Add(ReadYamlValue(parser, anchors, depth + 1, ref budget, last));
            }

            node = DocumentNode.ArrayNode(items, line, column);
        }
        else if (parser.TryConsume<MappingStart>(out var mapping))
        {
            anchor = mapping.Anchor.IsEmpty ? null : mapping.Anchor.Value;
            var properties = new List<DocumentProperty>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                var keyEvent = parser.Current!;
                var key = ReadYamlValue(parser, anchors, depth + 1, ref budget, last);
                if (key.Kind is NodeKind.Object or NodeKind.Array)
                {
                    throw new SchemaException("keys must be plain values", (int)keyEvent.Start.Line, (int)keyEvent.Start.Column);
                }

                var name = key.Scalar ?? "null";
                if (!seen.Add(name))
                {
                    throw new SchemaException($"duplicate key '{name}'", key.Line, key.Column);
                }

                properties.Add(new DocumentProperty(name, key.Line, key.Column, ReadYamlValue(parser, anchors, depth + 1, ref budget, last)));
            }

            node = DocumentNode.ObjectNode(properties, line, column);
        }
        else
        {
            throw new SchemaException($"unexpected YAML {current.GetType().Name}", line, column);
        }

        if (anchor is not null)
        {
            anchors[anchor] = node;
        }

        return node;
    }

    private static int Count(DocumentNode node) => 1 + node.Items.Sum(Count) + node.Properties.Sum(p => Count(p.Value));

    /// <summary>YAML 1.2 core schema: plain null, booleans and numbers; quoted scalars are always strings.</summary>
    private static DocumentNode ResolveScalar(Scalar scalar, int line, int column)
    {
        var value = scalar.Value;
        if (scalar.Style != ScalarStyle.Plain || !scalar.Tag.IsEmpty)
        {
            return DocumentNode.ScalarNode(NodeKind.String, value, line, column);
        }

        if (value is "" or "~" or "null" or "Null" or "NULL")
        {
            return DocumentNode.ScalarNode(NodeKind.Null, null, line, column);
        }

        if (value is "true" or "True" or "TRUE" or "false" or "False" or "FALSE")
        {
            return DocumentNode.ScalarNode(NodeKind.Boolean, value.ToLowerInvariant(), line, column);
        }

        return YamlNumber().IsMatch(value)
            ? DocumentNode.ScalarNode(NodeKind.Number, value.TrimStart('+'), line, column)
            : DocumentNode.ScalarNode(NodeKind.String, value, line, column);
    }

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex YamlNumber();
}
