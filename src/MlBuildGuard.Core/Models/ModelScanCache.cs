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
    private const string Magic = "mlguard-scan-cache-v3";
    private const int MaxEntries = 10_000_000;
    private const int MaxFindingsPerEntry = 100_000;

    private readonly Dictionary<string, Entry> _entries;

    /// <summary>Project items judged not to be a model, by their stamp (most of a project's items: kept as binary stamps, no strings).</summary>
    private readonly Dictionary<string, FileStamp> _notModels;

    private ModelScanCache(Dictionary<string, Entry> entries, Dictionary<string, FileStamp> notModels) => (_entries, _notModels) = (entries, notModels);

    public bool IsDirty { get; private set; }

    public static ModelScanCache Empty() => new(new Dictionary<string, Entry>(StringComparer.Ordinal), new Dictionary<string, FileStamp>(StringComparer.Ordinal));

    /// <summary>Reads a cache written by <see cref="Save"/>; anything else (missing, damaged, older format) is an empty cache.</summary>
    public static ModelScanCache Load(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            using var reader = new BinaryReader(stream, System.Text.Encoding.UTF8);
            if (reader.ReadString() != Magic)
            {
                return Empty();
            }

            var count = reader.ReadInt32();
            if (count is < 0 or > MaxEntries)
            {
                return Empty();
            }

            var entries = new Dictionary<string, Entry>(count, StringComparer.Ordinal);
            for (var i = 0; i < count; i++)
            {
                var key = reader.ReadString();
                var fingerprint = reader.ReadString();
                var findingCount = reader.ReadInt32();
                if (findingCount is < 0 or > MaxFindingsPerEntry)
                {
                    return Empty();
                }

                var findings = new List<CachedFinding>(findingCount);
                for (var f = 0; f < findingCount; f++)
                {
                    var code = reader.ReadString();
                    var severity = reader.ReadString();
                    var message = reader.ReadString();
                    var subject = reader.ReadBoolean() ? reader.ReadString() : null;
                    findings.Add(new CachedFinding(code, severity, message, subject));
                }

                entries[key] = new Entry(fingerprint, findings);
            }

            var notModelCount = reader.ReadInt32();
            if (notModelCount is < 0 or > MaxEntries)
            {
                return Empty();
            }

            var notModels = new Dictionary<string, FileStamp>(notModelCount, StringComparer.Ordinal);
            for (var i = 0; i < notModelCount; i++)
            {
                notModels[reader.ReadString()] = new FileStamp(reader.ReadInt64(), reader.ReadInt64(), reader.ReadInt64(), reader.ReadUInt64(), reader.ReadUInt64());
            }

            return new ModelScanCache(entries, notModels);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or EndOfStreamException or FormatException or ArgumentException)
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
        _notModels.Remove(path);
        IsDirty = true;
    }

    /// <summary>A project item judged not to be a model, whose stamp has not moved since.</summary>
    public bool KnownNotModel(string path, FileStamp stamp) => _notModels.TryGetValue(path, out var known) && known == stamp;

    public void RecordNotModel(string path, FileStamp stamp)
    {
        if (!_notModels.TryGetValue(path, out var known) || known != stamp)
        {
            _notModels[path] = stamp;
            IsDirty = true;
        }
    }

    /// <summary>
    /// A compact binary file (a project with 10,000 items keeps 10,000 entries: JSON took tens of milliseconds to load in a
    /// fresh build process, this takes a few).
    /// </summary>
    public void Save(string path)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write(_entries.Count);
            foreach (var (key, entry) in _entries)
            {
                writer.Write(key);
                writer.Write(entry.Fingerprint);
                writer.Write(entry.Findings.Count);
                foreach (var f in entry.Findings)
                {
                    writer.Write(f.Code);
                    writer.Write(f.Severity);
                    writer.Write(f.Message);
                    writer.Write(f.Subject is not null);
                    if (f.Subject is not null)
                    {
                        writer.Write(f.Subject);
                    }
                }
            }

            writer.Write(_notModels.Count);
            foreach (var (key, stamp) in _notModels)
            {
                writer.Write(key);
                writer.Write(stamp.Size);
                writer.Write(stamp.ModifiedTicks);
                writer.Write(stamp.ChangedTicks);
                writer.Write(stamp.Device);
                writer.Write(stamp.FileId);
            }
        }

        AtomicFile.WriteAllBytes(path, buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    }

    public sealed record Entry(string Fingerprint, List<CachedFinding> Findings);

    public sealed record CachedFinding(string Code, string Severity, string Message, string? Subject);
}
