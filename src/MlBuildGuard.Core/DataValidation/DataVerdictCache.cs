using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.IO;

namespace MlBuildGuard.Core.DataValidation;

/// <summary>A validation verdict as the cache keeps it: the findings and the profile.</summary>
public sealed record CachedVerdict(IReadOnlyList<Finding> Findings, DataProfile? Profile);

/// <summary>
/// Remembers validation verdicts in a folder (under <c>obj/</c> in a build), one small JSON file per key. The key is a
/// SHA-256 over everything a verdict depends on: the input's SHA-256, the schema's digest, MlBuildGuard's version, the
/// format, the subject and file names findings carry, the locked profile and the drift thresholds. An unchanged input
/// with an unchanged schema is therefore not read again. Damaged entries read as absent; the folder keeps at most
/// <see cref="MaxEntries"/> entries, the least recently written go first.
/// </summary>
public sealed class DataVerdictCache(string directory)
{
    public const int MaxEntries = 256;

    private static readonly string ToolVersion = typeof(DataVerdictCache).Assembly
        .GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
        .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion ?? "0";

    public string Directory { get; } = directory;

    public static string Key(string sha256, DataValidationRequest request)
    {
        var text = new StringBuilder()
            .Append("mlguard-data-verdict-2\n").Append(ToolVersion).Append('\n')
            // The build of MlBuildGuard too: a development build keeps its version while what it computes changes.
            .Append(typeof(DataVerdictCache).Assembly.ManifestModule.ModuleVersionId.ToString("N")).Append('\n')
            .Append(sha256).Append('\n').Append(request.Schema.Digest).Append('\n')
            .Append(request.Format.Name()).Append('\n').Append(request.FilePath).Append('\n').Append(request.Subject).Append('\n')
            .Append(request.MaxDrift?.ToString() ?? "-").Append('\n');
        if (request.LockedProfile is { } locked)
        {
            text.Append(Encoding.UTF8.GetString(CanonicalJson.Write(w => ProfileJson.Write(w, locked))));
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    public bool TryGet(string key, out CachedVerdict verdict)
    {
        verdict = null!;
        var path = Path.Combine(Directory, key + ".json");
        try
        {
            if (!File.Exists(path))
            {
                return false;
            }

            verdict = Parse(File.ReadAllBytes(path));
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or InvalidDataException or KeyNotFoundException
                                      or InvalidOperationException or FormatException)
        {
            return false;
        }
    }

    public void Put(string key, CachedVerdict verdict)
    {
        try
        {
            System.IO.Directory.CreateDirectory(Directory);
            AtomicFile.WriteAllBytes(Path.Combine(Directory, key + ".json"), Serialize(verdict));
            Prune();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A cache only saves time.
        }
    }

    private void Prune()
    {
        var entries = new DirectoryInfo(Directory).GetFiles("*.json");
        if (entries.Length <= MaxEntries)
        {
            return;
        }

        foreach (var old in entries.OrderBy(f => f.LastWriteTimeUtc).Take(entries.Length - MaxEntries))
        {
            old.Delete();
        }
    }

    private static byte[] Serialize(CachedVerdict verdict) => CanonicalJson.Write(w =>
    {
        w.WriteStartObject();
        w.WriteStartArray("findings");
        foreach (var f in verdict.Findings)
        {
            w.WriteStartObject();
            w.WriteString("code", f.Code);
            w.WriteString("severity", f.Severity.ToString());
            w.WriteString("message", f.Message);
            w.WriteString("file", f.Location?.FilePath);
            w.WriteNumber("line", f.Location?.Line ?? 0);
            w.WriteNumber("column", f.Location?.Column ?? 0);
            w.WriteString("subject", f.Subject);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        if (verdict.Profile is { } profile)
        {
            w.WritePropertyName("profile");
            ProfileJson.Write(w, profile);
        }

        w.WriteEndObject();
    });

    private static CachedVerdict Parse(byte[] bytes)
    {
        using var document = JsonDocument.Parse(bytes);
        var root = document.RootElement;
        var findings = new List<Finding>();
        foreach (var f in root.GetProperty("findings").EnumerateArray())
        {
            var rule = RuleCatalog.Find(f.GetProperty("code").GetString()!) ?? throw new InvalidDataException("unknown code");
            var file = f.GetProperty("file").GetString();
            findings.Add(new Finding(rule, Enum.Parse<Severity>(f.GetProperty("severity").GetString()!), f.GetProperty("message").GetString()!,
                file is null ? null : new SourceLocation(file, f.GetProperty("line").GetInt32(), f.GetProperty("column").GetInt32()),
                f.GetProperty("subject").GetString()));
        }

        DataProfile? profile = null;
        if (root.TryGetProperty("profile", out _))
        {
            var reader = new Utf8JsonReader(bytes);
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals("profile"u8))
                {
                    reader.Read();
                    profile = ProfileJson.Read(ref reader, (reason, _) => new InvalidDataException(reason));
                    break;
                }
            }
        }

        return new CachedVerdict(findings, profile);
    }
}
