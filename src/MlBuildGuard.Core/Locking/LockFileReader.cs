using System.Text.Json;
using MlBuildGuard.Core.IO;

namespace MlBuildGuard.Core.Locking;

/// <summary>
/// Reads <c>mlguard.lock.json</c> strictly: anything SPEC §4 does not describe (unknown or duplicate keys, wrong types,
/// unsafe paths, bad digests, trailing content, invalid UTF-8) is a <see cref="LockFileException"/> with line and column,
/// never a guess. A lock file that cannot be read as written must not be trusted, nor silently replaced.
/// </summary>
public static class LockFileReader
{
    /// <summary>Far above any real lock; a bigger file is refused rather than loaded into memory.</summary>
    public const long MaxSize = 64L << 20;

    private static readonly JsonReaderOptions Options = new()
    {
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
        MaxDepth = 8,
    };

    public static LockFile Read(string path)
    {
        var length = new FileInfo(path).Length;
        if (length > MaxSize)
        {
            throw new LockFileException($"it is {length} bytes, more than the {MaxSize >> 20} MiB a lock file may have", 0, 0);
        }

        return Parse(File.ReadAllBytes(path));
    }

    public static LockFile Parse(ReadOnlySpan<byte> utf8)
    {
        var offset = utf8.StartsWith("\uFEFF"u8) ? 3 : 0;
        var lines = new Utf8LineTable(utf8[offset..]);
        if (Utf8LineTable.FirstInvalidUtf8(utf8[offset..]) is var bad and >= 0)
        {
            // System.Text.Json checks UTF-8 only where it decodes a string, and then throws InvalidOperationException.
            var (line, column) = lines.Position(bad);
            throw new LockFileException("it is not valid UTF-8", line, column);
        }

        var reader = new Utf8JsonReader(utf8[offset..], Options);
        try
        {
            return ParseDocument(ref reader, lines);
        }
        catch (JsonException e)
        {
            var line = (int)(e.LineNumber ?? -1) + 1;
            var column = lines.ColumnOfLineByte(line, (int)(e.BytePositionInLine ?? 0));
            throw new LockFileException(PositionedException.DescribeJsonError(e), line, column);
        }
        catch (InvalidOperationException e)
        {
            // A string whose escapes are not valid Unicode (a lone surrogate such as \ud800), met when it is decoded.
            var (line, column) = lines.Position((int)reader.TokenStartIndex);
            throw new LockFileException("a string is not valid Unicode: " + JsonInput.FirstSentence(e.Message), line, column);
        }
    }

    private static LockFile ParseDocument(ref Utf8JsonReader reader, Utf8LineTable lines)
    {
        if (!reader.Read())
        {
            throw new LockFileException("it is empty", 1, 1);
        }

        Expect(ref reader, lines, JsonTokenType.StartObject, "the document must be a JSON object");
        var result = new LockFile { PositionResolver = lines.Position };
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int? version = null;
        while (Next(ref reader) != JsonTokenType.EndObject)
        {
            var (name, line, column) = PropertyName(ref reader, lines, seen);
            reader.Read();
            switch (name)
            {
                case "version":
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out var v))
                    {
                        throw At(lines, ref reader, "'version' must be an integer");
                    }

                    if (v != LockFile.CurrentVersion)
                    {
                        throw At(lines, ref reader, $"version {v} is not supported (this MlBuildGuard reads version {LockFile.CurrentVersion})");
                    }

                    version = v;
                    break;
                case "trainingInputs":
                    ParseSection(ref reader, lines, result, LockSection.TrainingInputs);
                    break;
                case "modelOutputs":
                    ParseSection(ref reader, lines, result, LockSection.ModelOutputs);
                    break;
                case "dataProfiles":
                    LockQualitySections.ParseDataProfiles(ref reader, lines, result);
                    break;
                case "modelMetrics":
                    LockQualitySections.ParseModelMetrics(ref reader, lines, result);
                    break;
                default:
                    throw new LockFileException($"unknown property '{name}'", line, column);
            }
        }

        if (version is null)
        {
            throw new LockFileException("the 'version' property is missing", 1, 1);
        }

        if (reader.Read())
        {
            throw At(lines, ref reader, "unexpected content after the JSON object");
        }

        return result;
    }

    private static void ParseSection(ref Utf8JsonReader reader, Utf8LineTable lines, LockFile result, LockSection section)
    {
        Expect(ref reader, lines, JsonTokenType.StartObject, $"'{SectionName(section)}' must be an object");
        var target = section == LockSection.TrainingInputs ? result.TrainingInputs : result.ModelOutputs;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (Next(ref reader) != JsonTokenType.EndObject)
        {
            var offset = reader.TokenStartIndex;
            var path = reader.GetString()!;
            if (!seen.Add(path))
            {
                throw At(lines, offset, $"duplicate property '{path}'");
            }

            var problem = PathProblem(section == LockSection.ModelOutputs ? WithoutLeadingParents(path) : path);
            if (problem is not null)
            {
                throw At(lines, offset, $"entry '{path}' {problem}");
            }

            reader.Read();
            target[path] = ParseEntry(ref reader, lines, section, path);
            result.EntryOffsets[(section, path)] = offset;
        }
    }

    private static LockedFile ParseEntry(ref Utf8JsonReader reader, Utf8LineTable lines, LockSection section, string path)
    {
        Expect(ref reader, lines, JsonTokenType.StartObject, $"entry '{path}' must be an object");
        var start = reader.TokenStartIndex;
        string? sha = null;
        long? size = null;
        string? source = null;
        SortedDictionary<string, string>? entries = null;
        var seen = 0; // one bit per known property: duplicates are refused without a set per entry
        while (Next(ref reader) != JsonTokenType.EndObject)
        {
            var offset = reader.TokenStartIndex;
            var name = reader.GetString()!;
            var bit = name switch { "sha256" => 1, "size" => 2, "source" => 4, "entries" => 8, _ => 0 };
            if ((seen & bit) != 0)
            {
                throw At(lines, offset, $"duplicate property '{name}'");
            }

            seen |= bit;
            reader.Read();
            switch (name)
            {
                case "sha256":
                    if (reader.TokenType != JsonTokenType.String || !IsLowerHex64(sha = reader.GetString()!))
                    {
                        throw At(lines, ref reader, $"entry '{path}': 'sha256' must be 64 lowercase hexadecimal digits");
                    }

                    break;
                case "size":
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var s) || s < 0)
                    {
                        throw At(lines, ref reader, $"entry '{path}': 'size' must be a non-negative integer");
                    }

                    size = s;
                    break;
                case "source" when section == LockSection.TrainingInputs:
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        throw At(lines, ref reader, $"entry '{path}': 'source' must be a string");
                    }

                    source = reader.GetString();
                    break;
                case "entries" when section == LockSection.ModelOutputs:
                    entries = ParseZipEntries(ref reader, lines, path);
                    break;
                default:
                    throw At(lines, offset, $"entry '{path}' has an unknown property '{name}'");
            }
        }

        if (sha is null || size is null)
        {
            throw At(lines, start, $"entry '{path}' needs both 'sha256' and 'size'");
        }

        return new LockedFile(sha, size.Value, string.IsNullOrEmpty(source) ? null : source, entries);
    }

    /// <summary>A model output's <c>entries</c>: archive entry name → SHA-256 of its uncompressed bytes.</summary>
    private static SortedDictionary<string, string> ParseZipEntries(ref Utf8JsonReader reader, Utf8LineTable lines, string path)
    {
        Expect(ref reader, lines, JsonTokenType.StartObject, $"entry '{path}': 'entries' must be an object");
        var entries = new SortedDictionary<string, string>(Utf8OrdinalComparer.Instance);
        while (Next(ref reader) != JsonTokenType.EndObject)
        {
            var offset = reader.TokenStartIndex;
            var name = reader.GetString()!;
            if (name.Length == 0 || entries.ContainsKey(name))
            {
                throw At(lines, offset, $"entry '{path}': 'entries' has an empty or duplicate name '{name}'");
            }

            reader.Read();
            if (reader.TokenType != JsonTokenType.String || !IsLowerHex64(reader.GetString()!))
            {
                throw At(lines, ref reader, $"entry '{path}': the digest of '{name}' must be 64 lowercase hexadecimal digits");
            }

            entries[name] = reader.GetString()!;
        }

        return entries;
    }

    /// <summary>
    /// A model output's key without its leading <c>../</c> segments: produced models may live outside the project folder
    /// (an artifacts layout), and their keys only name them; training inputs must stay inside (MLG405).
    /// </summary>
    public static string WithoutLeadingParents(string path)
    {
        var rest = path;
        while (rest.StartsWith("../", StringComparison.Ordinal))
        {
            rest = rest[3..];
        }

        return rest;
    }

    /// <summary>Why a lock key is not a safe project-relative path, or null when it is.</summary>
    public static string? PathProblem(string path)
    {
        if (path.Length == 0)
        {
            return "has an empty path";
        }

        if (path.Contains('\\'))
        {
            return "uses '\\' (paths use '/')";
        }

        if (path.StartsWith('/') || (path.Length >= 2 && path[1] == ':'))
        {
            return "is an absolute path (paths are relative to the project folder)";
        }

        foreach (var ch in path)
        {
            if (char.IsControl(ch))
            {
                return "contains a control character";
            }
        }

        var segmentStart = 0;
        for (var i = 0; i <= path.Length; i++)
        {
            if (i < path.Length && path[i] != '/')
            {
                continue;
            }

            var segment = path.AsSpan(segmentStart, i - segmentStart);
            if (segment.Length == 0 || segment is "." or "..")
            {
                return "has an empty, '.' or '..' path segment";
            }

            segmentStart = i + 1;
        }

        return null;
    }

    private static string SectionName(LockSection section) => section == LockSection.TrainingInputs ? "trainingInputs" : "modelOutputs";

    internal static bool IsLowerHex64(string s) => s.Length == 64 && s.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');

    internal static JsonTokenType Next(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
        {
            throw new JsonException("The JSON ends before the object is closed.");
        }

        return reader.TokenType;
    }

    private static (string Name, int Line, int Column) PropertyName(ref Utf8JsonReader reader, Utf8LineTable lines, HashSet<string> seen)
    {
        var (line, column) = lines.Position(reader.TokenStartIndex);
        var name = reader.GetString()!;
        if (!seen.Add(name))
        {
            throw new LockFileException($"duplicate property '{name}'", line, column);
        }

        return (name, line, column);
    }

    private static void Expect(ref Utf8JsonReader reader, Utf8LineTable lines, JsonTokenType type, string message)
    {
        if (reader.TokenType != type)
        {
            throw At(lines, ref reader, message);
        }
    }

    internal static LockFileException At(Utf8LineTable lines, ref Utf8JsonReader reader, string message) => At(lines, reader.TokenStartIndex, message);

    internal static LockFileException At(Utf8LineTable lines, long offset, string message)
    {
        var (line, column) = lines.Position(offset);
        return new LockFileException(message, line, column);
    }
}
