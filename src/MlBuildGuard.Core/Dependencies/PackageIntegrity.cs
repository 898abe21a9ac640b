using System.Security.Cryptography;
using System.Text;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.IO;
using NuGet.Common;
using NuGet.Packaging;
using NuGet.Versioning;

namespace MlBuildGuard.Core.Dependencies;

/// <summary>A package to verify in the global packages folder, with the content hash the lock file (or restore) expects.</summary>
public sealed record LockedPackage(string Id, NuGetVersion Version, string? ContentHash);

/// <summary>
/// MLG105, the poisoned-cache check. For each locked package in the global packages folder: the <c>.nupkg</c>'s content
/// hash (computed as NuGet does, signature excluded) must be the lock file's <c>contentHash</c>, so must the one in
/// <c>.nupkg.metadata</c>, every extracted file must be byte-for-byte the archive entry it came from, and no file may be
/// there that the package does not hold (an added <c>.targets</c> or DLL would run in the build). A package whose files
/// all keep their stamps (size, times, file identity) since it was verified is not read again.
/// </summary>
internal static class PackageIntegrity
{
    /// <summary>What NuGet calls the metadata file it writes beside an extracted package.</summary>
    private const string MetadataFileName = ".nupkg.metadata";

    private static readonly HashSet<string> PackageInternals = new(StringComparer.OrdinalIgnoreCase) { "[Content_Types].xml", ".signature.p7s" };

    public static void Check(DependencyRequest request, IReadOnlyList<LockedPackage> packages, string? lockPath, DependencyResult result, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.PackagesFolder) || !Directory.Exists(request.PackagesFolder))
        {
            return;
        }

        var cache = request.IntegrityCacheFile is not null && !request.ContinuousIntegration
            ? VerifiedPackages.Load(request.IntegrityCacheFile)
            : new VerifiedPackages();
        var findings = new List<Finding>[packages.Count];
        var verified = new string?[packages.Count];
        var fromCache = new bool[packages.Count];
        Parallel.For(0, packages.Count, new ParallelOptions { CancellationToken = cancellationToken }, i =>
        {
            var package = packages[i];
            var folder = FolderOf(request.PackagesFolder, package.Id, package.Version);
            findings[i] = new List<Finding>();
            if (!Directory.Exists(folder))
            {
                return; // not restored here: restore reports it
            }

            var fingerprint = Fingerprint(folder);
            if (cache.IsVerified(folder, fingerprint, package.ContentHash))
            {
                fromCache[i] = true;
                return;
            }

            var location = new SourceLocation(lockPath ?? request.ProjectFile, lockPath is null ? 0 : JsonKeyLine(lockPath, package.Id), 0);
            var problems = Verify(folder, package, cancellationToken);
            foreach (var problem in problems)
            {
                findings[i].Add(Finding.Create(RuleCatalog.PoisonedPackageCache, location, package.Id,
                    package.Id, package.Version.ToNormalizedString(), problem, folder) with { SubjectKind = SubjectKind.Package });
            }

            if (problems.Count == 0)
            {
                verified[i] = fingerprint;
            }
        });

        for (var i = 0; i < packages.Count; i++)
        {
            result.Findings.AddRange(findings[i]);
            if (verified[i] is { } fingerprint)
            {
                cache.Record(FolderOf(request.PackagesFolder, packages[i].Id, packages[i].Version), fingerprint, packages[i].ContentHash);
                result.PackagesVerified++;
            }

            if (fromCache[i])
            {
                result.PackagesFromCache++;
            }
        }

        if (request.IntegrityCacheFile is not null && cache.IsDirty)
        {
            try
            {
                cache.Save(request.IntegrityCacheFile);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The cache only saves time; the verdict stands without it.
            }
        }
    }

    /// <summary>Where NuGet extracts a package in the global packages folder: lowercase id and normalized version.</summary>
    internal static string FolderOf(string packagesFolder, string id, NuGetVersion version) =>
        Path.Combine(packagesFolder, id.ToLowerInvariant(), version.ToNormalizedString().ToLowerInvariant());

    private static List<string> Verify(string folder, LockedPackage package, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        var metadataPath = Path.Combine(folder, MetadataFileName);
        string? metadataHash = null;
        try
        {
            metadataHash = File.Exists(metadataPath) ? NupkgMetadataFileFormat.Read(metadataPath, NullLogger.Instance).ContentHash : null;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            problems.Add($"its {MetadataFileName} cannot be read ({e.Message})");
        }

        if (package.ContentHash is not null && metadataHash is not null && metadataHash != package.ContentHash)
        {
            problems.Add($"its {MetadataFileName} records content hash {metadataHash}, the lock file {package.ContentHash}");
        }

        var nupkg = Path.Combine(folder, $"{package.Id.ToLowerInvariant()}.{package.Version.ToNormalizedString().ToLowerInvariant()}.nupkg");
        if (!File.Exists(nupkg))
        {
            problems.Add("its .nupkg is missing, so its extracted files cannot be checked against it");
            return problems;
        }

        try
        {
            using var reader = new PackageArchiveReader(nupkg);
            var actual = reader.GetContentHash(cancellationToken);
            var expected = package.ContentHash ?? metadataHash;
            if (expected is not null && actual != expected)
            {
                problems.Add($"its .nupkg has content hash {actual}, expected {expected}");
            }

            var entries = new HashSet<string>(StringComparer.Ordinal);
            foreach (var entryName in reader.GetFiles())
            {
                cancellationToken.ThrowIfCancellationRequested();
                var name = entryName.Replace('\\', '/');
                if (PackageInternals.Contains(name) || name.StartsWith("_rels/", StringComparison.Ordinal) || name.StartsWith("package/", StringComparison.Ordinal))
                {
                    continue;
                }

                var local = Path.Combine(folder, name);
                if (!name.Contains('/') && name.EndsWith(".nuspec", StringComparison.OrdinalIgnoreCase))
                {
                    local = Path.Combine(folder, package.Id.ToLowerInvariant() + ".nuspec"); // NuGet writes the nuspec under the lowercase id
                    name = Path.GetFileName(local);
                }

                entries.Add(name);
                if (!File.Exists(local))
                {
                    continue;
                }

                using var entry = reader.GetStream(entryName);
                if (!SHA256.HashData(entry).AsSpan().SequenceEqual(Hashing.Sha256File.Compute(local, cancellationToken).Sha256))
                {
                    problems.Add($"the extracted file '{name}' differs from the package archive");
                }
            }

            var nupkgName = Path.GetFileName(nupkg);
            foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
            {
                var relative = Path.GetRelativePath(folder, file).Replace('\\', '/');
                if (entries.Contains(relative) || relative == MetadataFileName || relative == nupkgName
                    || relative == nupkgName + ".sha512" || relative == ".signature.p7s")
                {
                    continue;
                }

                problems.Add($"the folder holds '{relative}', which is not in the package archive");
            }
        }
        catch (Exception e) when (e is InvalidDataException or IOException or NuGet.Packaging.Core.PackagingException or UnauthorizedAccessException)
        {
            problems.Add($"its .nupkg cannot be read ({e.Message})");
        }

        return problems;
    }

    /// <summary>A digest of every file's path and stamp in the package folder: no file is read.</summary>
    internal static string Fingerprint(string folder)
    {
        var lines = new List<string>();
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            FileStamp.TryGet(file, out var s);
            lines.Add($"{Path.GetRelativePath(folder, file)}|{s.Size}|{s.ModifiedTicks}|{s.ChangedTicks}|{s.Device}|{s.FileId}");
        }

        lines.Sort(StringComparer.Ordinal);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', lines))));
    }

    /// <summary>The 1-based line where a NuGet lock file opens the entry <c>"id": {</c> (not a mention as a dependency), or 0.</summary>
    internal static int JsonKeyLine(string path, string id)
    {
        try
        {
            var lines = File.ReadAllLines(path);
            var key = $"\"{id}\"";
            var index = Array.FindIndex(lines, l =>
            {
                var t = l.TrimStart();
                return t.StartsWith(key, StringComparison.OrdinalIgnoreCase) && t[key.Length..].TrimStart().StartsWith(':') && t[key.Length..].TrimStart()[1..].TrimStart().StartsWith('{');
            });
            return index + 1;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>Package folders already verified, by folder, fingerprint and the content hash they were verified against.</summary>
    private sealed class VerifiedPackages
    {
        private readonly Dictionary<string, string> _entries = new(StringComparer.Ordinal);

        public bool IsDirty { get; private set; }

        public static VerifiedPackages Load(string path)
        {
            var result = new VerifiedPackages();
            try
            {
                foreach (var line in File.ReadLines(path))
                {
                    var tab = line.IndexOf('\t', StringComparison.Ordinal);
                    if (tab > 0)
                    {
                        result._entries[line[..tab]] = line[(tab + 1)..];
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }

            return result;
        }

        public bool IsVerified(string folder, string fingerprint, string? contentHash) =>
            _entries.TryGetValue(folder, out var value) && value == Key(fingerprint, contentHash);

        public void Record(string folder, string fingerprint, string? contentHash)
        {
            _entries[folder] = Key(fingerprint, contentHash);
            IsDirty = true;
        }

        public void Save(string path) =>
            AtomicFile.WriteAllBytes(path, Encoding.UTF8.GetBytes(string.Concat(_entries.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key}\t{e.Value}\n"))));

        private static string Key(string fingerprint, string? contentHash) => $"{fingerprint} {contentHash}";
    }
}
