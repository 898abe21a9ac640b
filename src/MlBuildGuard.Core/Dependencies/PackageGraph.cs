using NuGet.Common;
using NuGet.ProjectModel;
using NuGet.Versioning;

namespace MlBuildGuard.Core.Dependencies;

/// <summary>One resolved package in one target (framework, optionally runtime).</summary>
public sealed record ResolvedPackage(string Id, NuGetVersion Version, string? ContentHash, IReadOnlyList<string> DependencyIds);

/// <summary>
/// What restore resolved, per target, read from <c>project.assets.json</c> (or, without one, from
/// <c>packages.lock.json</c>): every package with its dependencies, and which ones the project references directly.
/// </summary>
public sealed class PackageGraph
{
    private readonly Dictionary<string, Dictionary<string, ResolvedPackage>> _targets = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Direct package dependencies per target framework name (lowercase ids).</summary>
    private readonly Dictionary<string, HashSet<string>> _direct = new(StringComparer.OrdinalIgnoreCase);

    public IEnumerable<string> TargetNames => _targets.Keys;

    /// <summary>Every distinct (id, version) across targets.</summary>
    public IReadOnlyList<ResolvedPackage> Packages => _targets.Values.SelectMany(t => t.Values)
        .GroupBy(p => (p.Id.ToLowerInvariant(), p.Version))
        .Select(g => g.First())
        .OrderBy(p => p.Id, StringComparer.OrdinalIgnoreCase).ThenBy(p => p.Version)
        .ToList();

    public IReadOnlyDictionary<string, ResolvedPackage> Target(string name) => _targets[name];

    public bool IsDirect(string id) => _direct.Values.Any(d => d.Contains(id.ToLowerInvariant()));

    /// <summary>Reads <c>project.assets.json</c>; throws <see cref="DependencyDataException"/> when it cannot.</summary>
    public static PackageGraph FromAssetsFile(string path)
    {
        LockFile? assets;
        try
        {
            assets = new LockFileFormat().Read(path, NullLogger.Instance);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new DependencyDataException($"'{path}' cannot be read: {e.Message}");
        }

        if (assets is null || assets.Version < 1)
        {
            throw new DependencyDataException($"'{path}' is not a restore result (project.assets.json)");
        }

        var graph = new PackageGraph();
        var hashes = assets.Libraries.Where(l => l.Type == "package")
            .GroupBy(l => (l.Name.ToLowerInvariant(), l.Version))
            .ToDictionary(g => g.Key, g => g.First().Sha512);
        foreach (var target in assets.Targets)
        {
            var packages = new Dictionary<string, ResolvedPackage>(StringComparer.OrdinalIgnoreCase);
            foreach (var library in target.Libraries.Where(l => l.Type == "package" && l.Name is not null && l.Version is not null))
            {
                hashes.TryGetValue((library.Name!.ToLowerInvariant(), library.Version!), out var hash);
                packages[library.Name] = new ResolvedPackage(library.Name, library.Version!, hash, library.Dependencies.Select(d => d.Id).ToList());
            }

            graph._targets[target.Name] = packages;
        }

        foreach (var framework in assets.PackageSpec?.TargetFrameworks ?? [])
        {
            var direct = framework.Dependencies.Select(d => d.Name.ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);
            foreach (var target in assets.Targets.Where(t => t.TargetFramework == framework.FrameworkName))
            {
                graph._direct[target.Name] = direct;
            }
        }

        return graph;
    }

    /// <summary>Builds the graph from a NuGet lock file alone (for <c>mlguard audit packages.lock.json</c>).</summary>
    public static PackageGraph FromLockFile(PackagesLockFile lockFile)
    {
        var graph = new PackageGraph();
        foreach (var target in lockFile.Targets)
        {
            var packages = new Dictionary<string, ResolvedPackage>(StringComparer.OrdinalIgnoreCase);
            foreach (var dep in target.Dependencies.Where(d => d.Type != PackageDependencyType.Project && d.ResolvedVersion is not null))
            {
                packages[dep.Id] = new ResolvedPackage(dep.Id, dep.ResolvedVersion, dep.ContentHash, dep.Dependencies.Select(d => d.Id).ToList());
            }

            graph._targets[target.Name] = packages;
            graph._direct[target.Name] = target.Dependencies.Where(d => d.Type is PackageDependencyType.Direct)
                .Select(d => d.Id.ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);
        }

        return graph;
    }

    /// <summary>
    /// The shortest chain of dependencies from a direct reference to <paramref name="id"/> in any target, e.g.
    /// <c>Microsoft.ML 5.0.1 → System.Text.Json 8.0.0</c>; null when the package is itself direct or unreachable.
    /// </summary>
    public string? PathTo(string id)
    {
        if (IsDirect(id))
        {
            return null;
        }

        foreach (var (name, packages) in _targets.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            if (!_direct.TryGetValue(name, out var direct))
            {
                continue;
            }

            var previous = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            var queue = new Queue<string>();
            foreach (var root in packages.Keys.Where(k => direct.Contains(k.ToLowerInvariant())).Order(StringComparer.OrdinalIgnoreCase))
            {
                previous[root] = null;
                queue.Enqueue(root);
            }

            while (queue.Count > 0)
            {
                var current = queue.Dequeue();
                if (string.Equals(current, id, StringComparison.OrdinalIgnoreCase))
                {
                    var chain = new List<string>();
                    for (string? at = current; at is not null; at = previous[at])
                    {
                        chain.Add($"{packages[at].Id} {packages[at].Version}");
                    }

                    chain.Reverse();
                    return string.Join(" -> ", chain);
                }

                if (!packages.TryGetValue(current, out var package))
                {
                    continue;
                }

                foreach (var next in package.DependencyIds.Where(packages.ContainsKey).Order(StringComparer.OrdinalIgnoreCase))
                {
                    if (previous.TryAdd(next, current))
                    {
                        queue.Enqueue(next);
                    }
                }
            }
        }

        return null;
    }
}

/// <summary>Dependency data (assets file, lock file, nuget.config, advisories) that cannot be read as it must be.</summary>
public sealed class DependencyDataException(string message) : Exception(message);
