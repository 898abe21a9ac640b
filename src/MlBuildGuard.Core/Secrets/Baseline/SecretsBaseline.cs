using System.Text;
using System.Text.Json;
using MlBuildGuard.Core.IO;
using MlBuildGuard.Core.Locking;
using MlBuildGuard.Core.Secrets.Rules;

namespace MlBuildGuard.Core.Secrets.Baseline;

/// <summary>One reviewed, accepted finding: the file (relative to the baseline's folder, '/' separators), the rule and the fingerprint.</summary>
public readonly record struct BaselineEntry(string File, string Rule, string Fingerprint);

/// <summary>
/// <c>mlguard.secrets-baseline.json</c> (<c>MlGuardSecretsBaseline</c>): the fingerprints of secret findings someone
/// reviewed and accepted, never the secrets. A finding is accepted when its file, rule and fingerprint are all listed,
/// wherever in the file it moved. The file is canonical JSON like the lock (sorted, 2-space indented, LF, final
/// newline), so rewriting an unchanged baseline gives the same bytes and a review sees only real changes:
/// <code>
/// {
///   "version": 1,
///   "findings": [
///     { "file": "data/train.csv", "rule": "github-token", "fingerprint": "0123456789abcdef" }
///   ]
/// }
/// </code>
/// </summary>
public sealed class SecretsBaseline
{
    public const int Version = 1;

    /// <summary>Larger baselines are refused.</summary>
    public const int MaxFileBytes = 64 << 20;

    private readonly HashSet<BaselineEntry> _entries;

    public SecretsBaseline(IEnumerable<BaselineEntry> entries)
    {
        _entries = new HashSet<BaselineEntry>(entries);
    }

    public static SecretsBaseline Empty { get; } = new([]);

    public IReadOnlyCollection<BaselineEntry> Entries => _entries;

    public bool Accepts(string file, string rule, string fingerprint) => _entries.Contains(new BaselineEntry(file, rule, fingerprint));

    /// <summary>Reads a baseline; a file that does not exist is an empty baseline. Throws <see cref="SecretConfigurationException"/> (MLG803).</summary>
    public static SecretsBaseline Read(string path)
    {
        byte[] bytes;
        try
        {
            if (!File.Exists(path))
            {
                return Empty;
            }

            if (new FileInfo(path).Length > MaxFileBytes)
            {
                throw new SecretConfigurationException($"the file is larger than {MaxFileBytes >> 20} MiB");
            }

            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SecretConfigurationException("it cannot be read: " + e.Message);
        }

        return Parse(bytes);
    }

    public static SecretsBaseline Parse(ReadOnlySpan<byte> utf8) => new BaselineParser(utf8).Parse();

    /// <summary>The canonical bytes of a baseline holding <paramref name="entries"/> (sorted by file, rule, fingerprint; duplicates once).</summary>
    public static byte[] ToBytes(IEnumerable<BaselineEntry> entries)
    {
        var sorted = entries.Distinct()
            .OrderBy(e => e.File, Utf8OrdinalComparer.Instance)
            .ThenBy(e => e.Rule, Utf8OrdinalComparer.Instance)
            .ThenBy(e => e.Fingerprint, StringComparer.Ordinal)
            .ToArray();
        return CanonicalJson.Write(w =>
        {
            w.WriteStartObject();
            w.WriteNumber("version", Version);
            w.WriteStartArray("findings");
            foreach (var e in sorted)
            {
                w.WriteStartObject();
                w.WriteString("file", e.File);
                w.WriteString("rule", e.Rule);
                w.WriteString("fingerprint", e.Fingerprint);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    /// <summary>Writes the baseline atomically (a temporary file renamed over the old one); an unchanged file is left alone.</summary>
    /// <returns>Whether the file changed.</returns>
    public static bool Write(string path, IEnumerable<BaselineEntry> entries) => AtomicFile.WriteIfChanged(path, ToBytes(entries));

    /// <summary>Whether <paramref name="file"/> is a relative path with '/' separators and no empty, '.' or '..' segment.</summary>
    internal static bool IsRelativePath(string file) =>
        file.Length > 0 && !file.StartsWith('/') && !file.Contains('\\', StringComparison.Ordinal) && !(file.Length > 1 && file[1] == ':')
        && file.Split('/').All(s => s.Length > 0 && s != "." && s != "..");

    /// <summary>A strict reader that knows where each problem is (1-based line and column).</summary>
    private ref struct BaselineParser(ReadOnlySpan<byte> utf8)
    {
        private readonly ReadOnlySpan<byte> _utf8 = utf8;
        private Utf8JsonReader _reader = new(utf8, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 8 });

        public SecretsBaseline Parse()
        {
            try
            {
                return ParseDocument();
            }
            catch (JsonException e)
            {
                throw new SecretConfigurationException("it is not valid JSON: " + FirstSentence(e.Message),
                    (int)(e.LineNumber ?? 0) + 1, (int)(e.BytePositionInLine ?? 0) + 1);
            }
            catch (InvalidOperationException)
            {
                throw Error("a string is not valid UTF-8"); // Utf8JsonReader.GetString on invalid UTF-8
            }
        }

        private SecretsBaseline ParseDocument()
        {
            Next();
            Expect(JsonTokenType.StartObject, "the baseline must be a JSON object");
            int? version = null;
            List<BaselineEntry>? entries = null;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            while (Next() == JsonTokenType.PropertyName)
            {
                var name = _reader.GetString()!;
                if (!seen.Add(name))
                {
                    throw Error($"the property '{name}' appears twice");
                }

                Next();
                switch (name)
                {
                    case "version":
                        if (_reader.TokenType != JsonTokenType.Number || !_reader.TryGetInt32(out var v))
                        {
                            throw Error("'version' must be an integer");
                        }

                        version = v == Version ? v : throw Error($"version {v} is not supported (this MlBuildGuard reads version {Version})");
                        break;
                    case "findings":
                        entries = ReadFindings();
                        break;
                    default:
                        throw Error($"the property '{name}' is not part of a secrets baseline");
                }
            }

            Expect(JsonTokenType.EndObject, "expected the end of the object");
            if (_reader.Read())
            {
                throw Error("there is content after the closing brace");
            }

            if (version is null || entries is null)
            {
                throw new SecretConfigurationException(version is null ? "'version' is missing" : "'findings' is missing", 1, 1);
            }

            return new SecretsBaseline(entries);
        }

        private List<BaselineEntry> ReadFindings()
        {
            Expect(JsonTokenType.StartArray, "'findings' must be an array");
            var entries = new List<BaselineEntry>();
            while (Next() == JsonTokenType.StartObject)
            {
                var (line, column) = Position();
                string? file = null, rule = null, fingerprint = null;
                while (Next() == JsonTokenType.PropertyName)
                {
                    var name = _reader.GetString()!;
                    Next();
                    if (_reader.TokenType != JsonTokenType.String)
                    {
                        throw Error($"'{name}' must be a string");
                    }

                    var value = _reader.GetString()!;
                    switch (name)
                    {
                        case "file" when file is null:
                            file = IsRelativePath(value) ? value : throw Error($"'file' must be a relative path with '/' separators (got '{value}')");
                            break;
                        case "rule" when rule is null:
                            rule = value.Length > 0 ? value : throw Error("'rule' must not be empty");
                            break;
                        case "fingerprint" when fingerprint is null:
                            fingerprint = value.Length == 16 && value.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f')
                                ? value
                                : throw Error("'fingerprint' must be 16 lowercase hexadecimal digits");
                            break;
                        default:
                            throw Error($"the property '{name}' is not expected here (or appears twice)");
                    }
                }

                Expect(JsonTokenType.EndObject, "expected the end of the finding");
                if (file is null || rule is null || fingerprint is null)
                {
                    throw new SecretConfigurationException("a finding needs 'file', 'rule' and 'fingerprint'", line, column);
                }

                entries.Add(new BaselineEntry(file, rule, fingerprint));
            }

            Expect(JsonTokenType.EndArray, "'findings' must hold only objects");
            return entries;
        }

        private JsonTokenType Next()
        {
            if (!_reader.Read())
            {
                throw Error("the file ends too early");
            }

            return _reader.TokenType;
        }

        private void Expect(JsonTokenType type, string message)
        {
            if (_reader.TokenType != type)
            {
                throw Error(message);
            }
        }

        private (int Line, int Column) Position()
        {
            var at = (int)Math.Min(_reader.TokenStartIndex, _utf8.Length);
            var before = _utf8[..at];
            var line = before.Count((byte)'\n') + 1;
            var column = at - (before.LastIndexOf((byte)'\n') + 1) + 1;
            return (line, column);
        }

        private SecretConfigurationException Error(string reason)
        {
            var (line, column) = Position();
            return new SecretConfigurationException(reason, line, column);
        }

        private static string FirstSentence(string message)
        {
            var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
            return (cut > 0 ? message[..cut] : message).Trim();
        }
    }
}
