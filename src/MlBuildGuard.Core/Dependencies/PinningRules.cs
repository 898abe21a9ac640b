using MlBuildGuard.Core.Diagnostics;
using NuGet.ProjectModel;
using NuGet.Versioning;

namespace MlBuildGuard.Core.Dependencies;

/// <summary>MLG101 (floating or open-ended versions), MLG102 (no NuGet lock file), MLG103 (not locked mode on CI).</summary>
internal static class PinningRules
{
    public static void CheckVersions(DependencyRequest request, PackageGraph? graph, List<Finding> findings)
    {
        foreach (var item in request.PackageReferences.Where(p => !p.IsImplicit))
        {
            foreach (var (attribute, version) in new[] { ("Version", item.Version), ("VersionOverride", item.VersionOverride) })
            {
                if (string.IsNullOrWhiteSpace(version) || Problem(version) is not { } problem)
                {
                    continue;
                }

                var resolved = graph?.Packages.Where(p => string.Equals(p.Id, item.Id, StringComparison.OrdinalIgnoreCase))
                    .Select(p => p.Version.ToNormalizedString()).FirstOrDefault();
                var suggestion = resolved ?? (VersionRange.TryParse(version, out var r) && r.MinVersion is { } min ? min.ToNormalizedString() : "1.2.3");
                findings.Add(Finding.Create(RuleCatalog.FloatingPackageVersion, DeclarationLocator.Locate(request, item), item.Id,
                    item.ItemType, item.Id, attribute, version, problem, suggestion) with { SubjectKind = SubjectKind.Package });
            }
        }
    }

    /// <summary>Why a version string does not pin one version, or null when it does.</summary>
    public static string? Problem(string version)
    {
        var text = version.Trim();
        if (text.Contains('*', StringComparison.Ordinal))
        {
            return "floats: restore picks the newest matching version, so the next restore can bring a different package";
        }

        if (!VersionRange.TryParse(text, allowFloating: true, out var range))
        {
            return null; // not a version at all: restore reports it (NU1105 and friends)
        }

        if (range.IsFloating)
        {
            return "floats: restore picks the newest matching version, so the next restore can bring a different package";
        }

        if (text.StartsWith('[') || text.StartsWith('('))
        {
            if (!range.HasUpperBound)
            {
                return "is open-ended (no upper bound)";
            }

            if (!range.HasLowerBound)
            {
                return "is open-ended (no lower bound)";
            }
        }

        return null;
    }

    /// <summary>MLG102 and MLG103. Returns the lock file path when one exists.</summary>
    public static string? CheckLockFile(DependencyRequest request, List<Finding> findings)
    {
        var path = LockFilePath(request);
        var exists = path is not null && File.Exists(path);
        var optedIn = string.Equals(request.RestorePackagesWithLockFile?.Trim(), "true", StringComparison.OrdinalIgnoreCase);
        var at = new SourceLocation(request.ProjectFile);
        var name = Path.GetFileName(path ?? PackagesLockFileFormat.LockFileName);
        if (!exists || (!optedIn && request.RestorePackagesWithLockFile is not null))
        {
            var why = (optedIn, exists) switch
            {
                (true, false) => $"RestorePackagesWithLockFile is true but '{name}' does not exist (restore has not written it yet, or it is not committed)",
                (false, false) => $"The project has no NuGet lock file (RestorePackagesWithLockFile is not true and there is no {name})",
                _ => $"RestorePackagesWithLockFile is not true, so restore uses '{name}' only because the file happens to be there; if it were deleted, restore would silently stop locking",
            };
            findings.Add(Finding.Create(RuleCatalog.NoNuGetLockFile, at, Path.GetFileName(request.ProjectFile), why));
            if (!exists)
            {
                return null;
            }
        }

        if (request.ContinuousIntegration && !string.Equals(request.RestoreLockedMode?.Trim(), "true", StringComparison.OrdinalIgnoreCase))
        {
            findings.Add(Finding.Create(RuleCatalog.NotLockedModeOnCi, at, Path.GetFileName(request.ProjectFile)));
        }

        return path;
    }

    /// <summary>The lock file NuGet uses: <c>NuGetLockFilePath</c>, else <c>packages.&lt;project&gt;.lock.json</c> if present, else <c>packages.lock.json</c>.</summary>
    public static string? LockFilePath(DependencyRequest request)
    {
        if (!string.IsNullOrWhiteSpace(request.NuGetLockFile))
        {
            return Path.GetFullPath(request.NuGetLockFile, request.ProjectDirectory);
        }

        var named = Path.Combine(request.ProjectDirectory, $"packages.{Path.GetFileNameWithoutExtension(request.ProjectFile).Replace(' ', '_')}.lock.json");
        return File.Exists(named) ? named : Path.Combine(request.ProjectDirectory, PackagesLockFileFormat.LockFileName);
    }
}

/// <summary>Finds the line that declares a package item, for findings about it.</summary>
internal static class DeclarationLocator
{
    public static SourceLocation Locate(DependencyRequest request, PackageReferenceItem item)
    {
        var declared = request.Declarations
            .Where(d => string.Equals(d.Pattern, item.Id, StringComparison.OrdinalIgnoreCase))
            .OrderByDescending(d => string.Equals(d.Location.FilePath, item.DefiningFile, StringComparison.Ordinal))
            .FirstOrDefault();
        return declared?.Location ?? new SourceLocation(item.DefiningFile ?? request.ProjectFile);
    }

    /// <summary>The declaration of a package by id (any item type), or the project file.</summary>
    public static SourceLocation Locate(DependencyRequest request, string id) =>
        request.PackageReferences.FirstOrDefault(p => string.Equals(p.Id, id, StringComparison.OrdinalIgnoreCase)) is { } item
            ? Locate(request, item)
            : new SourceLocation(request.ProjectFile);
}
