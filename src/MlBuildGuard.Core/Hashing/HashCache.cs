using System.Text;
using MlBuildGuard.Core.IO;

namespace MlBuildGuard.Core.Hashing;

/// <summary>
/// Remembers the digest of each file by its <see cref="FileStamp"/>, so an unchanged file is not read again on the next
/// build. A compact binary file under <c>obj/</c>; a missing, foreign or damaged cache is simply empty (the cache can only
/// save work, never decide a verdict), and Locked mode does not consult it at all.
/// </summary>
public sealed class HashCache
{
    private const string Magic = "MLGHASH2";

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

                entries[key] = new Entry(stamp, digest, reader.ReadBoolean());
            }

            return new HashCache(entries);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or EndOfStreamException or FormatException or ArgumentException)
        {
            return Empty();
        }
    }

    public bool TryGet(string fullPath, FileStamp stamp, out FileDigest digest)
    {
        if (_entries.TryGetValue(fullPath, out var entry) && entry.Stamp == stamp)
        {
            digest = new FileDigest(entry.Sha256, stamp.Size, entry.HoldsPrivateKey);
            return true;
        }

        digest = default;
        return false;
    }

    /// <summary>Records a digest unless the stamp is too fresh to be trusted next time.</summary>
    public void Set(string fullPath, FileStamp stamp, FileDigest digest, DateTime hashStartedUtc)
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
            && old.HoldsPrivateKey == digest.HoldsPrivateKey)
        {
            return;
        }

        _entries[fullPath] = new Entry(stamp, digest.Sha256, digest.HoldsPrivateKey);
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
            }
        }

        AtomicFile.WriteAllBytes(path, buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
        IsDirty = false;
    }

    private sealed record Entry(FileStamp Stamp, byte[] Sha256, bool HoldsPrivateKey);
}
