using MlBuildGuard.Core.Diagnostics;
using NuGet.ProjectModel;

namespace MlBuildGuard.Core.Dependencies;

/// <summary>
/// The dependency guard (SPEC §5, MLG101–MLG109, MLG201–MLG203): pinned versions, a NuGet lock file that matches
/// restore, an untampered package cache, trusted sources, denied and look-alike packages, pinned Python requirements,
/// known vulnerabilities and deprecations. Runs once per project (also when it targets several frameworks).
/// </summary>
public static class DependencyGuard
{
    public static DependencyResult Run(DependencyRequest request, CancellationToken cancellationToken = default)
    {
        var result = new DependencyResult();
        var findings = result.Findings;

        PackageGraph? graph = null;
        if (request.AssetsFile is not null && File.Exists(request.AssetsFile))
        {
            try
            {
                graph = PackageGraph.FromAssetsFile(request.AssetsFile);
            }
            catch (DependencyDataException e)
            {
                findings.Add(Finding.Create(RuleCatalog.NuGetLockFileOutOfSync, new SourceLocation(request.AssetsFile), "project.assets.json",
                    Path.GetFileName(request.AssetsFile), $"what restore resolved cannot be read, so nothing can be compared ({e.Message})"));
            }
        }

        PinningRules.CheckVersions(request, graph, findings);
        var lockPath = PinningRules.CheckLockFile(request, findings);
        PackagesLockFile? lockFile = null;
        if (lockPath is not null)
        {
            lockFile = LockFileConsistency.Read(lockPath, findings);
            if (lockFile is not null && graph is not null)
            {
                LockFileConsistency.Compare(lockPath, lockFile, graph, findings);
            }
        }

        graph ??= lockFile is not null ? PackageGraph.FromLockFile(lockFile) : null;
        var locked = lockPath is not null && lockFile is null && graph is null
            ? LockFileConsistency.ReadablePackages(lockPath) // fail closed: verify what the broken lock still names
            : LockedPackages(lockFile, graph);
        if (!string.IsNullOrWhiteSpace(request.PackagesFolder))
        {
            result.PackageFolders.AddRange(locked.Select(p => (p.Id, p.Version)).Concat(graph?.Packages.Select(p => (p.Id, p.Version)) ?? [])
                .Select(p => PackageIntegrity.FolderOf(request.PackagesFolder, p.Id, p.Version)).Distinct(StringComparer.Ordinal));
        }

        PackageIntegrity.Check(request, locked, lockPath, result, cancellationToken);
        FeedRules.CheckSources(request, locked, graph, findings);

        if (graph is not null)
        {
            PackagePolicyRules.CheckDenied(request, graph, findings);
            PackagePolicyRules.CheckTyposquats(request, graph, findings);
        }

        foreach (var requirements in request.PythonRequirementFiles)
        {
            PythonRequirements.Check(Path.GetFullPath(requirements, request.ProjectDirectory), findings, result.RequirementFiles);
        }

        if (graph is not null)
        {
            FeedRules.CheckVulnerabilities(request, graph, findings, cancellationToken);
            FeedRules.CheckDeprecations(request, graph, findings, cancellationToken);
        }

        return result;
    }

    /// <summary>Each package once, with the content hash the lock file pins (or restore recorded, without a lock).</summary>
    private static IReadOnlyList<LockedPackage> LockedPackages(PackagesLockFile? lockFile, PackageGraph? graph)
    {
        if (lockFile is not null)
        {
            return lockFile.Targets.SelectMany(t => t.Dependencies)
                .Where(d => d.Type != PackageDependencyType.Project && d.ResolvedVersion is not null)
                .GroupBy(d => (d.Id.ToLowerInvariant(), d.ResolvedVersion))
                .Select(g => new LockedPackage(g.First().Id, g.First().ResolvedVersion, g.First().ContentHash))
                .ToList();
        }

        return graph?.Packages.Select(p => new LockedPackage(p.Id, p.Version, p.ContentHash)).ToList() ?? [];
    }
}
