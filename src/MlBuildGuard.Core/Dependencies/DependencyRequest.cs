using MlBuildGuard.Core.Configuration;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Dependencies.Advisories;
using NuGet.Versioning;

namespace MlBuildGuard.Core.Dependencies;

/// <summary>A <c>PackageReference</c> or <c>PackageVersion</c> item as evaluated, with the file that declares it.</summary>
public sealed record PackageReferenceItem(string ItemType, string Id, string? Version, string? VersionOverride = null, string? DefiningFile = null, bool IsImplicit = false);

/// <summary>An <c>MlDeniedPackage</c> item: a package id, optionally only some versions, and why.</summary>
public sealed record DeniedPackageRule(string Id, VersionRange? Versions, string? VersionsText, string? Reason);

/// <summary>Everything the dependency guard looks at, as the build (or <c>mlguard audit</c>) knows it.</summary>
public sealed class DependencyRequest
{
    public required string ProjectDirectory { get; init; }

    public required string ProjectFile { get; init; }

    public IReadOnlyList<PackageReferenceItem> PackageReferences { get; init; } = [];

    /// <summary><c>project.assets.json</c>: what restore resolved. Null when only a lock file is audited.</summary>
    public string? AssetsFile { get; init; }

    /// <summary><c>packages.lock.json</c> (or the <c>NuGetLockFilePath</c>).</summary>
    public string? NuGetLockFile { get; init; }

    /// <summary>The property's value as the build has it ("" when unset); null when unknown (<c>mlguard audit</c>).</summary>
    public string? RestorePackagesWithLockFile { get; init; }

    public string? RestoreLockedMode { get; init; }

    public bool ContinuousIntegration { get; init; }

    /// <summary>The global packages folder (<c>NuGetPackageRoot</c>); null skips the cache integrity check.</summary>
    public string? PackagesFolder { get; init; }

    /// <summary>Where the integrity check remembers what it verified (under <c>obj/</c>); null to verify everything.</summary>
    public string? IntegrityCacheFile { get; init; }

    public IReadOnlyList<DeniedPackageRule> DeniedPackages { get; init; } = [];

    /// <summary>The user's own well-known package ids (typosquat check): never flagged, and their look-alikes are.</summary>
    public IReadOnlyList<string> KnownPackages { get; init; } = [];

    public IReadOnlyList<string> PythonRequirementFiles { get; init; } = [];

    /// <summary>Package source URLs (or folders) allowed to supply packages; empty means not checked.</summary>
    public IReadOnlyList<string> TrustedSources { get; init; } = [];

    /// <summary>Folder of offline advisories (OSV JSON or NuGet VulnerabilityInfo pages).</summary>
    public string? AdvisoryDatabase { get; init; }

    /// <summary>No network: only the offline database and local caches.</summary>
    public bool Offline { get; init; }

    /// <summary>Advisories at or above this severity are errors, below are warnings.</summary>
    public AdvisorySeverity AuditErrorLevel { get; init; } = AdvisorySeverity.High;

    /// <summary>Reads the user's NuGet configuration and talks to feeds; null when no feed may be asked.</summary>
    public IPackageFeeds? Feeds { get; init; }

    /// <summary>Where <c>PackageReference</c> / <c>PackageVersion</c> items are written (for line numbers).</summary>
    public IReadOnlyList<ItemDeclaration> Declarations { get; init; } = [];
}

/// <summary>The findings of one run, and what it learned on the way (for messages and tests).</summary>
public sealed class DependencyResult
{
    public List<Finding> Findings { get; } = new();

    public List<string> Notes { get; } = new();

    public int PackagesVerified { get; set; }

    public int PackagesFromCache { get; set; }

    /// <summary>The package folders of the global packages folder the run looked at (a verdict watches them).</summary>
    public List<string> PackageFolders { get; } = new();

    /// <summary>Every Python requirements file the run read, includes too (a verdict watches them).</summary>
    public List<string> RequirementFiles { get; } = new();

    /// <summary>Nothing was read: the findings are those of an earlier run whose inputs are all unchanged (<see cref="DependencyVerdict"/>).</summary>
    public bool Replayed { get; set; }
}
