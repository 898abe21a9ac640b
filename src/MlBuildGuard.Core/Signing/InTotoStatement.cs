using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using MlBuildGuard.Core.IO;

namespace MlBuildGuard.Core.Signing;

/// <summary>
/// The in-toto Statement v1 an OMS signature carries: one subject (the model name and root digest) and the
/// <c>https://model_signing/signature/v1.0</c> predicate with <c>serialization</c> and <c>resources</c>.
/// </summary>
public sealed record InTotoStatement(string SubjectName, string RootDigest, OmsManifest Manifest)
{
    internal static readonly JavaScriptEncoder Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    /// <summary>A statement for a freshly hashed manifest.</summary>
    public static InTotoStatement Create(string subjectName, OmsManifest manifest) => new(subjectName, manifest.RootDigest, manifest);

    /// <summary>
    /// The payload bytes: 2-space indented JSON with '\n' line ends and no trailing newline, fields in the order of the
    /// reference implementation's payload goldens.
    /// </summary>
    public byte[] ToJsonBytes()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, IndentSize = 2, NewLine = "\n", Encoder = Encoder }))
        {
            writer.WriteStartObject();
            writer.WriteString("_type", OmsConstants.StatementType);
            writer.WriteStartArray("subject");
            writer.WriteStartObject();
            writer.WriteString("name", SubjectName);
            writer.WriteStartObject("digest");
            writer.WriteString("sha256", RootDigest);
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteString("predicateType", OmsConstants.PredicateType);
            writer.WriteStartObject("predicate");
            var serialization = Manifest.Serialization;
            writer.WriteStartObject("serialization");
            writer.WriteString("method", serialization.Method);
            writer.WriteString("hash_type", serialization.HashType);
            writer.WriteBoolean("allow_symlinks", serialization.AllowSymlinks);
            if (serialization.ShardSize is { } shardSize)
            {
                // The reference implementation writes it through a protobuf Struct, i.e. as a double: 8.0, 1000000000.0.
                writer.WritePropertyName("shard_size");
                writer.WriteRawValue(shardSize.ToString(CultureInfo.InvariantCulture) + ".0");
            }

            if (serialization.IgnorePaths is { } ignorePaths)
            {
                writer.WriteStartArray("ignore_paths");
                foreach (var path in ignorePaths)
                {
                    writer.WriteStringValue(path);
                }

                writer.WriteEndArray();
            }

            writer.WriteEndObject();
            writer.WriteStartArray("resources");
            foreach (var resource in Manifest.Resources)
            {
                writer.WriteStartObject();
                writer.WriteString("algorithm", resource.Algorithm);
                writer.WriteString("digest", resource.Digest);
                writer.WriteString("name", resource.Name);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>Parses and checks a payload; any deviation from OMS v1.0 is an <see cref="OmsFormatException"/>.</summary>
    public static InTotoStatement Parse(ReadOnlySpan<byte> json)
    {
        using var document = Json.Parse(json, "The signed payload");
        return Json.Read("The signed payload", () => FromDocument(document));
    }

    private static InTotoStatement FromDocument(JsonDocument document)
    {
        {
            var root = Json.Object(document.RootElement, "statement");
            var type = Json.String(root, "_type");
            if (type != OmsConstants.StatementType)
            {
                throw new OmsFormatException($"Expected an in-toto {OmsConstants.StatementType} statement, got '{type}'.");
            }

            var predicateType = Json.String(root, "predicateType");
            if (predicateType != OmsConstants.PredicateType)
            {
                throw new OmsFormatException($"Expected predicate type {OmsConstants.PredicateType}, got '{predicateType}'.");
            }

            var subjects = Json.Array(root, "subject");
            if (subjects.GetArrayLength() != 1)
            {
                throw new OmsFormatException($"Expected exactly one subject, got {subjects.GetArrayLength()}.");
            }

            var subject = Json.Object(subjects[0], "subject");
            var subjectName = Json.String(subject, "name");
            if (subjectName.Length == 0)
            {
                throw new OmsFormatException("The subject name is empty.");
            }

            var rootDigest = Json.String(Json.Object(Json.Property(subject, "digest"), "digest"), "sha256");
            if (!IsSha256Hex(rootDigest))
            {
                throw new OmsFormatException("The subject's sha256 digest is not 64 lowercase hex digits.");
            }

            var predicate = Json.Object(Json.Property(root, "predicate"), "predicate");
            var serialization = ParseSerialization(Json.Object(Json.Property(predicate, "serialization"), "serialization"));
            var resources = new List<OmsResource>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var element in Json.Array(predicate, "resources").EnumerateArray())
            {
                var item = Json.Object(element, "resource");
                var resource = new OmsResource(Json.String(item, "name"), Json.String(item, "algorithm"), Json.String(item, "digest"));
                if (!IsSha256Hex(resource.Digest))
                {
                    throw new OmsFormatException($"The digest of resource '{resource.Name}' is not 64 lowercase hex digits.");
                }

                var path = serialization.Method == OmsConstants.ShardsMethod ? ShardPath(resource.Name) : resource.Name;
                if (path != "." && !OmsNames.IsSafeRelative(path))
                {
                    throw new OmsFormatException($"The resource name '{resource.Name}' is not a safe relative path.");
                }

                if (!names.Add(resource.Name))
                {
                    throw new OmsFormatException($"The resource '{resource.Name}' is listed twice.");
                }

                resources.Add(resource);
            }

            if (resources.Count == 0)
            {
                throw new OmsFormatException("The signature lists no resources.");
            }

            return new InTotoStatement(subjectName, rootDigest, new OmsManifest(resources, serialization));
        }
    }

    private static OmsSerialization ParseSerialization(JsonElement element)
    {
        var method = Json.String(element, "method");
        var hashType = Json.String(element, "hash_type");
        if (hashType != OmsConstants.Sha256)
        {
            throw new OmsFormatException($"The hash type '{hashType}' is not supported (only sha256).");
        }

        var allowSymlinks = Json.Property(element, "allow_symlinks").ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new OmsFormatException("'allow_symlinks' must be true or false."),
        };
        long? shardSize = null;
        if (method == OmsConstants.ShardsMethod)
        {
            var value = Json.Property(element, "shard_size");
            if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var number) || number < 1 || number > 1e15
                || Math.Floor(number) != number)
            {
                throw new OmsFormatException("'shard_size' must be a positive whole number.");
            }

            shardSize = (long)number;
        }
        else if (method != OmsConstants.FilesMethod)
        {
            throw new OmsFormatException($"The serialization method '{method}' is not supported.");
        }

        List<string>? ignorePaths = null;
        if (element.TryGetProperty("ignore_paths", out var ignores) && ignores.ValueKind != JsonValueKind.Null)
        {
            if (ignores.ValueKind != JsonValueKind.Array)
            {
                throw new OmsFormatException("'ignore_paths' must be an array.");
            }

            ignorePaths = [];
            foreach (var item in ignores.EnumerateArray())
            {
                var path = item.ValueKind == JsonValueKind.String ? item.GetString()! : throw new OmsFormatException("'ignore_paths' must hold strings.");
                if (!OmsNames.IsSafeRelative(path.TrimEnd('/')))
                {
                    throw new OmsFormatException($"The ignore path '{path}' is not a safe relative path.");
                }

                ignorePaths.Add(path.TrimEnd('/'));
            }
        }

        return new OmsSerialization(method, hashType, allowSymlinks, shardSize, ignorePaths);
    }

    /// <summary>The file part of a shard name <c>path:start:end</c>.</summary>
    private static string ShardPath(string name)
    {
        var end = name.LastIndexOf(':');
        var start = end > 0 ? name.LastIndexOf(':', end - 1) : -1;
        if (start <= 0 || !long.TryParse(name.AsSpan(start + 1, end - start - 1), NumberStyles.None, CultureInfo.InvariantCulture, out _)
            || !long.TryParse(name.AsSpan(end + 1), NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            throw new OmsFormatException($"The shard name '{name}' is not 'path:start:end'.");
        }

        return name[..start];
    }

    internal static bool IsSha256Hex(string value) =>
        value.Length == 64 && value.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');
}

/// <summary>A signature bundle or payload that does not follow the OMS format.</summary>
public sealed class OmsFormatException(string message) : Exception(message);

/// <summary>Small JSON accessors that turn every shape error into an <see cref="OmsFormatException"/>.</summary>
internal static class Json
{
    /// <summary>
    /// Strict parsing: valid UTF-8 without a byte-order mark, bounded depth, no duplicate keys (a second value for a key
    /// must not pass unseen).
    /// </summary>
    public static JsonDocument Parse(ReadOnlySpan<byte> json, string what)
    {
        if (json.IsEmpty)
        {
            throw new OmsFormatException($"{what} is empty.");
        }

        try
        {
            return JsonInput.Parse(json.ToArray(), maxDepth: 32, allowByteOrderMark: false);
        }
        catch (JsonInputException e)
        {
            var at = e.Line > 0 ? $" (line {e.Line}, column {e.Column})" : "";
            throw new OmsFormatException($"{what} is not valid JSON: {e.Message}{at}.");
        }
    }

    /// <summary>Runs a reader over a parsed document; a value of another type or invalid Unicode is an <see cref="OmsFormatException"/>.</summary>
    public static T Read<T>(string what, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (JsonInput.IsShapeError(e))
        {
            throw new OmsFormatException($"{what} is malformed: {JsonInput.Describe(e)}.");
        }
    }

    public static JsonElement Property(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value)
            ? value
            : throw new OmsFormatException($"The field '{name}' is missing.");

    public static JsonElement Object(JsonElement element, string what) =>
        element.ValueKind == JsonValueKind.Object ? element : throw new OmsFormatException($"'{what}' must be a JSON object.");

    public static JsonElement Array(JsonElement element, string name)
    {
        var value = Property(element, name);
        return value.ValueKind == JsonValueKind.Array ? value : throw new OmsFormatException($"'{name}' must be an array.");
    }

    public static string String(JsonElement element, string name)
    {
        var value = Property(element, name);
        return value.ValueKind == JsonValueKind.String ? value.GetString()! : throw new OmsFormatException($"'{name}' must be a string.");
    }
}
