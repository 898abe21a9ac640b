using System.Text.Json;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.IO;

namespace MlBuildGuard.Core.Models;

/// <summary>
/// Remembers the findings of each scanned model by its file stamp (size, times, file identity) and the scan options, so
/// an unchanged model is not read again on the next build. Folders are keyed by the stamps of all their files. A missing
/// or damaged cache is empty; CI (Locked) builds do not use it.
/// </summary>
public sealed class ModelScanCache
{
    private readonly Dictionary<string, Entry> _entries;

    private ModelScanCache(Dictionary<string, Entry> entries) => _entries = entries;

    public bool IsDirty { get; private set; }

    public static ModelScanCache Empty() => new(new Dictionary<string, Entry>(StringComparer.Ordinal));

    public static ModelScanCache Load(string path)
    {
        try
        {
            var entries = JsonSerializer.Deserialize<Dictionary<string, Entry>>(File.ReadAllBytes(path));
            return new ModelScanCache(entries is null ? new(StringComparer.Ordinal) : new(entries, StringComparer.Ordinal));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return Empty();
        }
    }

    /// <summary>The fingerprint of a file or folder: every file's relative path and stamp, plus the options.</summary>
    public static string? Fingerprint(string path, ScanOptions options) => StampFingerprint.Of(path,
    [
        "scanner=" + typeof(ModelScanCache).Assembly.ManifestModule.ModuleVersionId, $"strict={options.Strict}",
        "allowed=" + string.Join(',', options.AllowedGlobals.Order(StringComparer.Ordinal)), $"limits={options.Limits}",
    ]);

    public IReadOnlyList<Finding>? TryGet(string path, string fingerprint)
    {
        if (!_entries.TryGetValue(path, out var entry) || entry.Fingerprint != fingerprint)
        {
            return null;
        }

        var findings = new List<Finding>();
        foreach (var f in entry.Findings)
        {
            if (RuleCatalog.Find(f.Code) is not { } rule || !Enum.TryParse<Severity>(f.Severity, out var severity))
            {
                return null; // written by another version: scan again
            }

            findings.Add(new Finding(rule, severity, f.Message, new SourceLocation(path), f.Subject));
        }

        return findings;
    }

    public void Set(string path, string fingerprint, IReadOnlyList<Finding> findings)
    {
        _entries[path] = new Entry(fingerprint, findings.Select(f => new CachedFinding(f.Code, f.Severity.ToString(), f.Message, f.Subject)).ToList());
        IsDirty = true;
    }

    /// <summary>A project item judged not to be a model, whose stamp has not moved since.</summary>
    public bool KnownNotModel(string path, string stamp) =>
        _entries.TryGetValue(path, out var entry) && entry.Fingerprint == "not-a-model|" + stamp;

    public void RecordNotModel(string path, string stamp)
    {
        var fingerprint = "not-a-model|" + stamp;
        if (!_entries.TryGetValue(path, out var entry) || entry.Fingerprint != fingerprint)
        {
            _entries[path] = new Entry(fingerprint, []);
            IsDirty = true;
        }
    }

    public void Save(string path) => AtomicFile.WriteAllBytes(path, JsonSerializer.SerializeToUtf8Bytes(_entries));

    public sealed record Entry(string Fingerprint, List<CachedFinding> Findings);

    public sealed record CachedFinding(string Code, string Severity, string Message, string? Subject);
}
