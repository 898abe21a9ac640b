using System.Collections.Concurrent;
using System.IO.Compression;

namespace MlBuildGuard.Core.Dependencies.Advisories;

/// <summary>
/// A folder of advisories kept for offline use: OSV JSON files (e.g. the NuGet part of the GitHub Advisory Database, or
/// OSV's <c>NuGet/all.zip</c>, which may stay zipped) and NuGet VulnerabilityInfo pages. Every file must be readable:
/// one that is not is reported, never skipped. A parsed folder is kept in memory while its files do not change.
/// </summary>
public static class OfflineAdvisoryDatabase
{
    /// <summary>Bounds for zipped databases: no single JSON entry may inflate past this.</summary>
    private const long MaxEntryBytes = 16L << 20;

    private static readonly ConcurrentDictionary<string, (string Fingerprint, Result Result)> Loaded = new(StringComparer.Ordinal);

    public sealed record Problem(string File, string Reason, int Line, int Column);

    public sealed record Result(AdvisorySet Advisories, int Documents, IReadOnlyList<Problem> Problems);

    public static Result Load(string folder, CancellationToken cancellationToken = default)
    {
        var full = Path.GetFullPath(folder);
        if (!Directory.Exists(full))
        {
            return new Result(new AdvisorySet(), 0, [new Problem(full, "the advisory folder does not exist", 0, 0)]);
        }

        var files = Directory.EnumerateFiles(full, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = false })
            .Where(f => f.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal)
            .ToList();
        var fingerprint = string.Join('|', files.Select(f => new FileInfo(f)).Select(i => $"{i.FullName}:{i.Length}:{i.LastWriteTimeUtc.Ticks}"));
        if (Loaded.TryGetValue(full, out var cached) && cached.Fingerprint == fingerprint)
        {
            return cached.Result;
        }

        var set = new AdvisorySet();
        var problems = new List<Problem>();
        var documents = 0;
        foreach (var file in files)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                if (file.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
                {
                    documents += ReadZip(file, set, problems);
                }
                else
                {
                    AdvisoryReaders.Read(File.ReadAllBytes(file), file, set);
                    documents++;
                }
            }
            catch (AdvisoryFormatException e)
            {
                problems.Add(new Problem(file, e.Message, e.Line, e.Column));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                problems.Add(new Problem(file, e.Message, 0, 0));
            }
        }

        if (files.Count == 0)
        {
            problems.Add(new Problem(full, "the advisory folder holds no .json or .zip files", 0, 0));
        }

        var result = new Result(set, documents, problems);
        Loaded[full] = (fingerprint, result);
        return result;
    }

    private static int ReadZip(string file, AdvisorySet set, List<Problem> problems)
    {
        using var zip = ZipFile.OpenRead(file);
        var documents = 0;
        foreach (var entry in zip.Entries.Where(e => e.FullName.EndsWith(".json", StringComparison.OrdinalIgnoreCase)))
        {
            var name = $"{file}!{entry.FullName}";
            if (entry.Length > MaxEntryBytes)
            {
                problems.Add(new Problem(name, $"the entry inflates to {entry.Length} bytes, more than the {MaxEntryBytes >> 20} MiB allowed", 0, 0));
                continue;
            }

            using var stream = entry.Open();
            using var buffer = new MemoryStream((int)entry.Length);
            if (!CopyAtMost(stream, buffer, MaxEntryBytes))
            {
                problems.Add(new Problem(name, "the entry inflates past the size allowed", 0, 0));
                continue;
            }

            try
            {
                AdvisoryReaders.Read(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), name, set);
                documents++;
            }
            catch (AdvisoryFormatException e)
            {
                problems.Add(new Problem(name, e.Message, e.Line, e.Column));
            }
        }

        return documents;
    }

    /// <summary>Copies at most <paramref name="limit"/> bytes; false when the source holds more (a lying header).</summary>
    private static bool CopyAtMost(Stream source, Stream target, long limit)
    {
        var chunk = new byte[81920];
        long total = 0;
        int read;
        while ((read = source.Read(chunk, 0, chunk.Length)) > 0)
        {
            total += read;
            if (total > limit)
            {
                return false;
            }

            target.Write(chunk, 0, read);
        }

        return true;
    }
}
