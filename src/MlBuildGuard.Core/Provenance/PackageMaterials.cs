using MlBuildGuard.Core.Dependencies;

namespace MlBuildGuard.Core.Provenance;

/// <summary>
/// The NuGet packages a build used, as provenance and the ML-BOM record them. The package set, content hashes and direct
/// references come from restore's <c>project.assets.json</c> (read by <see cref="PackageGraph"/>, as the dependency guard
/// reads it); the file digest comes from the global packages folder, because NuGet's <c>contentHash</c> of a signed
/// package is not the hash of any file a consumer can download, while <c>.nupkg.sha512</c> is.
/// </summary>
public static class PackageMaterials
{
    /// <summary>A <c>.nupkg.sha512</c> holds 88 base64 characters; anything much larger is not one.</summary>
    private const long MaxSha512FileSize = 1024;

    /// <summary>
    /// Every package in the assets file (all targets), sorted by id (ordinal, ignoring case) then version, each with
    /// the SHA-512 of its <c>.nupkg</c> when <paramref name="packagesFolder"/> holds a readable <c>.nupkg.sha512</c>.
    /// An empty <paramref name="packagesFolder"/> (not known) leaves every SHA-512 out rather than searching the current folder.
    /// </summary>
    /// <exception cref="DependencyDataException">The assets file cannot be read or is not a restore result.</exception>
    public static IReadOnlyList<PackageMaterial> Read(string assetsFilePath, string packagesFolder)
    {
        ArgumentNullException.ThrowIfNull(assetsFilePath);
        ArgumentNullException.ThrowIfNull(packagesFolder);
        var graph = PackageGraph.FromAssetsFile(assetsFilePath);
        return graph.Packages
            .OrderBy(p => p.Id, StringComparer.OrdinalIgnoreCase).ThenBy(p => p.Version)
            .Select(p =>
            {
                var version = p.Version.ToNormalizedString();
                return new PackageMaterial(p.Id, version, ReadSha512Hex(packagesFolder, p.Id, version), p.ContentHash, graph.IsDirect(p.Id));
            })
            .ToList();
    }

    /// <summary>
    /// The package graph of the assets file: each package's purl to the purls of its dependencies, each resolved to the
    /// version restore chose in the same target (the union over targets when the project is multi-targeted).
    /// </summary>
    /// <exception cref="DependencyDataException">The assets file cannot be read or is not a restore result.</exception>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> Dependencies(string assetsFilePath)
    {
        var graph = PackageGraph.FromAssetsFile(assetsFilePath);
        var edges = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var name in graph.TargetNames)
        {
            var target = graph.Target(name);
            foreach (var package in target.Values)
            {
                var from = MaterialText.NuGetPurl(package.Id, package.Version.ToNormalizedString());
                if (!edges.TryGetValue(from, out var to))
                {
                    edges[from] = to = new SortedSet<string>(StringComparer.Ordinal);
                }

                foreach (var id in package.DependencyIds)
                {
                    if (target.TryGetValue(id, out var resolved))
                    {
                        to.Add(MaterialText.NuGetPurl(resolved.Id, resolved.Version.ToNormalizedString()));
                    }
                }
            }
        }

        return edges.ToDictionary(e => e.Key, e => (IReadOnlyList<string>)[.. e.Value], StringComparer.Ordinal);
    }

    /// <summary>
    /// <c>&lt;folder&gt;/&lt;id&gt;/&lt;version&gt;/&lt;id&gt;.&lt;version&gt;.nupkg.sha512</c> (all lowercase, NuGet's
    /// layout) decoded from base64 to lowercase hex; null when missing, unreadable or not a SHA-512.
    /// </summary>
    internal static string? ReadSha512Hex(string packagesFolder, string id, string version)
    {
        if (packagesFolder.Length == 0)
        {
            return null;
        }

        var lowerId = id.ToLowerInvariant();
        var lowerVersion = version.ToLowerInvariant();
        var path = Path.Combine(packagesFolder, lowerId, lowerVersion, $"{lowerId}.{lowerVersion}.nupkg.sha512");
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists || info.Length > MaxSha512FileSize)
            {
                return null;
            }

            var digest = Convert.FromBase64String(File.ReadAllText(path).Trim());
            return digest.Length == 64 ? Convert.ToHexStringLower(digest) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }
}
