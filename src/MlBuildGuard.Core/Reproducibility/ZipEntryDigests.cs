using System.Security.Cryptography;
using System.Text;

namespace MlBuildGuard.Core.Reproducibility;

/// <summary>One archive entry's content: its name (<c>\</c> read as <c>/</c>), the SHA-256 (lowercase hex) and size of its uncompressed bytes.</summary>
public sealed record ZipEntryDigest(string Name, string Sha256, long Size);

/// <summary>
/// What an archive holds, independent of how it was compressed or stamped: two archives with equal digests hold the same
/// entries even when their bytes differ (timestamps, entry order, another deflate engine). Used to explain a model output
/// that is not byte-reproducible: was it only the archive bytes, or did an entry change?
/// </summary>
public static class ZipEntryDigests
{
    /// <summary>
    /// Hashes every entry, streaming it through a fixed buffer; entries are checked against their declared size and CRC-32.
    /// Sorted by the UTF-8 bytes of the name; an archive that lists a name twice yields it twice.
    /// </summary>
    /// <exception cref="ZipNormalizationException">The file is not a readable zip archive, or an entry is encrypted or damaged.</exception>
    public static IReadOnlyList<ZipEntryDigest> Read(string path, CancellationToken ct = default)
    {
        using var stream = ZipEntryContent.OpenFile(path);
        using var archive = ZipEntryContent.OpenArchive(stream);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[ZipEntryContent.BufferSize];
        var digests = new List<ZipEntryDigest>(archive.Entries.Count);
        foreach (var entry in archive.Entries)
        {
            if (entry.IsEncrypted)
            {
                throw new ZipNormalizationException($"entry '{entry.FullName}' is encrypted");
            }

            var size = ZipEntryContent.Copy(entry, buffer, hash.AppendData, ct);
            digests.Add(new ZipEntryDigest(ZipNames.Normalize(entry.FullName), Convert.ToHexStringLower(hash.GetHashAndReset()), size));
        }

        return [.. digests.OrderBy(d => d.Name, ZipNames.Utf8Order)];
    }

    /// <summary>
    /// One line saying which entries differ between two readings of an archive, for a build message, e.g.
    /// <c>3 entries differ: TransformerChain/Model.key (changed), Schema (added), Old.txt (removed)</c>. Names are listed in
    /// UTF-8 order, at most <paramref name="max"/> of them, then "…and N more". With equal contents the line says only the
    /// archive bytes differ. A null <paramref name="before"/> (nothing known) counts every entry as added.
    /// </summary>
    public static string Summarize(IReadOnlyList<ZipEntryDigest>? before, IReadOnlyList<ZipEntryDigest> after, int max = 10)
    {
        ArgumentNullException.ThrowIfNull(after);
        ArgumentOutOfRangeException.ThrowIfNegative(max);
        var old = Group(before ?? []);
        var now = Group(after);
        var changes = new List<string>();
        foreach (var name in old.Keys.Union(now.Keys).Order(ZipNames.Utf8Order))
        {
            var was = old.GetValueOrDefault(name);
            var @is = now.GetValueOrDefault(name);
            if (was is null)
            {
                changes.Add($"{name} (added)");
            }
            else if (@is is null)
            {
                changes.Add($"{name} (removed)");
            }
            else if (was != @is)
            {
                changes.Add($"{name} (changed)");
            }
        }

        if (changes.Count == 0)
        {
            return "no entry differs (only the archive bytes)";
        }

        var line = new StringBuilder();
        line.Append(changes.Count).Append(changes.Count == 1 ? " entry differs: " : " entries differ: ");
        line.AppendJoin(", ", changes.Take(max));
        if (changes.Count > max)
        {
            line.Append(max > 0 ? ", " : "").Append("…and ").Append(changes.Count - max).Append(" more");
        }

        return line.ToString();
    }

    /// <summary>Name → the digests and sizes under that name (more than one when an archive repeats a name).</summary>
    private static Dictionary<string, string> Group(IReadOnlyList<ZipEntryDigest> digests) =>
        digests.GroupBy(d => d.Name, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => string.Join(";", g.Select(d => $"{d.Sha256}:{d.Size}")), StringComparer.Ordinal);
}
