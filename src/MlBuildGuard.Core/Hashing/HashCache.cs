using System.Text;
using MlBuildGuard.Core.IO;
using MlBuildGuard.Core.Secrets;
using MlBuildGuard.Core.Secrets.PersonalData;

namespace MlBuildGuard.Core.Hashing;

/// <summary>
/// Remembers the digest of each file by its <see cref="FileStamp"/>, so an unchanged file is not read again on the next
/// build. A compact binary file under <c>obj/</c>; a missing, foreign or damaged cache is simply empty (the cache can only
/// save work, never decide a verdict), and Locked mode does not consult it at all. An entry made by a content check
/// (<see cref="IFileContentCheck"/>) also keeps what the check found, under the check's key.
/// </summary>
public sealed class HashCache
{
    private const string Magic = "MLGHASH4";

    /// <summary>Bounds on what one entry may claim, so a damaged file cannot make the loader allocate without limit.</summary>
    private const int MaxListed = SecretScanner.MaxMatches * 4;

    /// <summary>A file changed this recently may still be written to within the same timestamp tick ("racy" stamp).</summary>
    private static readonly TimeSpan RacyWindow = TimeSpan.FromSeconds(2);

    private readonly Dictionary<string, Entry> _entries;

    private HashCache(Dictionary<string, Entry> entries) => _entries = entries;

    public static HashCache Empty() => new(new Dictionary<string, Entry>(StringComparer.Ordinal));

    public int Count => _entries.Count;

    /// <summary>Whether entries were added, replaced or pruned since loading.</summary>
    public bool IsDirty { get; private set; }

    public static HashCache Load(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            using var reader = new BinaryReader(stream, Encoding.UTF8);
            if (new string(reader.ReadChars(Magic.Length)) != Magic)
            {
                return Empty();
            }

            var count = reader.ReadInt32();
            if (count < 0 || count > 10_000_000)
            {
                return Empty();
            }

            // The content checks' keys, each stored once (thousands of inputs share one or two).
            var checkKeys = new string[reader.ReadInt32() is var k and >= 0 and <= 10_000 ? k : throw new InvalidDataException("too many check keys")];
            for (var i = 0; i < checkKeys.Length; i++)
            {
                checkKeys[i] = reader.ReadString();
            }

            var entries = new Dictionary<string, Entry>(count, StringComparer.Ordinal);
            for (var i = 0; i < count; i++)
            {
                var key = reader.ReadString();
                var stamp = new FileStamp(reader.ReadInt64(), reader.ReadInt64(), reader.ReadInt64(), reader.ReadUInt64(), reader.ReadUInt64());
                var digest = reader.ReadBytes(32);
                if (digest.Length != 32)
                {
                    return Empty();
                }

                var holdsKey = reader.ReadBoolean();
                var checkIndex = reader.ReadInt32();
                var checkKey = checkIndex == -1 ? null
                    : (uint)checkIndex < (uint)checkKeys.Length ? checkKeys[checkIndex] : throw new InvalidDataException("unknown check key");
                var content = reader.ReadBoolean() ? ReadContent(reader) : null;
                entries[key] = new Entry(stamp, digest, holdsKey, checkKey, content);
            }

            return new HashCache(entries);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or EndOfStreamException or FormatException or ArgumentException
                                      or InvalidDataException)
        {
            return Empty();
        }
    }

    public bool TryGet(string fullPath, FileStamp stamp, out FileDigest digest) => TryGet(fullPath, stamp, null, out digest, out _);

    /// <summary>
    /// The digest of a file whose stamp has not moved and, when <paramref name="checkKey"/> is given, what the content check
    /// with that key found in it; an entry made without that check does not answer a lookup that needs one.
    /// </summary>
    public bool TryGet(string fullPath, FileStamp stamp, string? checkKey, out FileDigest digest, out FileContentFindings? content)
    {
        if (_entries.TryGetValue(fullPath, out var entry) && entry.Stamp == stamp && (checkKey is null || entry.CheckKey == checkKey))
        {
            digest = new FileDigest(entry.Sha256, stamp.Size, entry.HoldsPrivateKey);
            content = checkKey is null ? null : entry.Content;
            return true;
        }

        digest = default;
        content = null;
        return false;
    }

    /// <summary>Records a digest unless the stamp is too fresh to be trusted next time.</summary>
    public void Set(string fullPath, FileStamp stamp, FileDigest digest, DateTime hashStartedUtc) => Set(fullPath, stamp, digest, hashStartedUtc, null, null);

    /// <summary>Records a digest and what a content check (<paramref name="checkKey"/>) found, unless the stamp is too fresh.</summary>
    public void Set(string fullPath, FileStamp stamp, FileDigest digest, DateTime hashStartedUtc, string? checkKey, FileContentFindings? content)
    {
        if (hashStartedUtc.Ticks - stamp.LatestTicks < RacyWindow.Ticks)
        {
            if (_entries.Remove(fullPath))
            {
                IsDirty = true;
            }

            return;
        }

        if (_entries.TryGetValue(fullPath, out var old) && old.Stamp == stamp && old.Sha256.AsSpan().SequenceEqual(digest.Sha256)
            && old.HoldsPrivateKey == digest.HoldsPrivateKey && old.CheckKey == checkKey && Equals(old.Content, content))
        {
            return;
        }

        _entries[fullPath] = new Entry(stamp, digest.Sha256, digest.HoldsPrivateKey, checkKey, content);
        IsDirty = true;
    }

    /// <summary>Drops entries for files not in <paramref name="keep"/>, so the cache does not grow without bound.</summary>
    public void Prune(IReadOnlySet<string> keep)
    {
        foreach (var key in _entries.Keys.Where(k => !keep.Contains(k)).ToList())
        {
            _entries.Remove(key);
            IsDirty = true;
        }
    }

    /// <summary>
    /// Keeps only the entries of <paramref name="keep"/> and saves the cache if it changed. Failing to write it is ignored:
    /// the cache only saves time on the next build and changes no verdict.
    /// </summary>
    public void PruneAndSave(string? path, IEnumerable<string> keep)
    {
        if (path is null)
        {
            return;
        }

        Prune(keep.ToHashSet(StringComparer.Ordinal));
        if (!IsDirty)
        {
            return;
        }

        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            Save(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // see above: a cache that cannot be written is no failure
        }
    }

    public void Save(string path)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic.ToCharArray());
            writer.Write(_entries.Count);
            var checkKeys = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var checkKey in _entries.Values.Select(e => e.CheckKey).OfType<string>())
            {
                checkKeys.TryAdd(checkKey, checkKeys.Count);
            }

            writer.Write(checkKeys.Count);
            foreach (var checkKey in checkKeys.OrderBy(c => c.Value).Select(c => c.Key))
            {
                writer.Write(checkKey);
            }

            foreach (var (key, entry) in _entries)
            {
                writer.Write(key);
                writer.Write(entry.Stamp.Size);
                writer.Write(entry.Stamp.ModifiedTicks);
                writer.Write(entry.Stamp.ChangedTicks);
                writer.Write(entry.Stamp.Device);
                writer.Write(entry.Stamp.FileId);
                writer.Write(entry.Sha256);
                writer.Write(entry.HoldsPrivateKey);
                writer.Write(entry.CheckKey is null ? -1 : checkKeys[entry.CheckKey]);

                writer.Write(entry.Content is not null);
                if (entry.Content is not null)
                {
                    WriteContent(writer, entry.Content);
                }
            }
        }

        AtomicFile.WriteAllBytes(path, buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
        IsDirty = false;
    }

    private static void WriteContent(BinaryWriter writer, FileContentFindings content)
    {
        writer.Write(content.Secrets.Count);
        foreach (var m in content.Secrets)
        {
            writer.Write(m.RuleId);
            writer.Write((byte)m.Kind);
            writer.Write(m.Description);
            writer.Write(m.Line);
            writer.Write(m.Column);
            writer.Write(m.Offset);
            writer.Write(m.Fingerprint);
            writer.Write(m.View is not null);
            if (m.View is not null)
            {
                writer.Write(m.View);
            }
        }

        writer.Write(content.SecretsOmitted);
        writer.Write(content.PersonalData.Count);
        foreach (var p in content.PersonalData)
        {
            writer.Write(p.Column);
            writer.Write((byte)p.Kind);
            writer.Write(p.Count);
            writer.Write(p.NonEmpty);
        }

        writer.Write(content.TableProblem is not null);
        if (content.TableProblem is { } problem)
        {
            writer.Write(problem.Format);
            writer.Write(problem.Reason);
            writer.Write(problem.Line);
            writer.Write(problem.Column);
        }
    }

    private static FileContentFindings ReadContent(BinaryReader reader)
    {
        var secrets = Count(reader) is var secretCount and > 0 ? new SecretMatch[secretCount] : [];
        for (var i = 0; i < secrets.Length; i++)
        {
            var rule = reader.ReadString();
            var kind = reader.ReadByte();
            secrets[i] = new SecretMatch(rule, Enum.IsDefined((SecretKind)kind) ? (SecretKind)kind : throw new InvalidDataException("unknown kind"),
                reader.ReadString(), reader.ReadInt32(), reader.ReadInt32(), reader.ReadInt64(), reader.ReadString(), reader.ReadBoolean() ? reader.ReadString() : null);
        }

        var omitted = reader.ReadInt32();
        var personal = Count(reader) is var personalCount and > 0 ? new PiiColumnResult[personalCount] : [];
        for (var i = 0; i < personal.Length; i++)
        {
            var column = reader.ReadString();
            var kind = reader.ReadByte();
            personal[i] = new PiiColumnResult(column, Enum.IsDefined((PiiKind)kind) ? (PiiKind)kind : throw new InvalidDataException("unknown kind"),
                reader.ReadInt64(), reader.ReadInt64());
        }

        var problem = reader.ReadBoolean() ? new TableReadProblem(reader.ReadString(), reader.ReadString(), reader.ReadInt64(), reader.ReadInt32()) : null;
        if (secrets.Length == 0 && omitted == 0 && personal.Length == 0 && problem is null)
        {
            return FileContentFindings.None; // what nearly every input holds: one shared instance
        }

        return new FileContentFindings { Secrets = secrets, SecretsOmitted = omitted, PersonalData = personal, TableProblem = problem };

        static int Count(BinaryReader reader) => reader.ReadInt32() is var n and >= 0 and <= MaxListed ? n : throw new InvalidDataException("too many entries");
    }

    private sealed record Entry(FileStamp Stamp, byte[] Sha256, bool HoldsPrivateKey, string? CheckKey, FileContentFindings? Content);
}
