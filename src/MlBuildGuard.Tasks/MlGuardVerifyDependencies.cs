using MlBuildGuard.Core.Configuration;
using MlBuildGuard.Core.Dependencies;
using MlBuildGuard.Core.Dependencies.Advisories;
using MlBuildGuard.Core.Diagnostics;
using Microsoft.Build.Framework;
using NuGet.Versioning;

namespace MlBuildGuard.Tasks;

/// <summary>The dependency guard (MLG101–MLG109, MLG201–MLG203); the logic is <see cref="DependencyGuard"/>.</summary>
public sealed class MlGuardVerifyDependencies : MlGuardTask
{
    /// <summary><c>@(PackageReference)</c>.</summary>
    public ITaskItem[] PackageReferences { get; set; } = [];

    /// <summary><c>@(PackageVersion)</c> (central package management).</summary>
    public ITaskItem[] PackageVersions { get; set; } = [];

    public string? AssetsFile { get; set; }

    public string? NuGetLockFilePath { get; set; }

    public string? RestorePackagesWithLockFile { get; set; }

    public string? RestoreLockedMode { get; set; }

    public string? ContinuousIntegrationBuild { get; set; }

    /// <summary><c>$(NuGetPackageRoot)</c>, the global packages folder.</summary>
    public string? PackagesFolder { get; set; }

    public string? IntegrityCacheFile { get; set; }

    /// <summary><c>@(MlDeniedPackage)</c> with optional <c>Versions</c> and <c>Reason</c>.</summary>
    public ITaskItem[] DeniedPackages { get; set; } = [];

    /// <summary><c>@(MlGuardKnownPackage)</c>: ids the user vouches for (never typosquats).</summary>
    public ITaskItem[] KnownPackages { get; set; } = [];

    /// <summary><c>@(MlPythonRequirements)</c>.</summary>
    public ITaskItem[] PythonRequirements { get; set; } = [];

    public string? TrustedSources { get; set; }

    public string? AdvisoryDatabase { get; set; }

    public string? Offline { get; set; }

    public string? AuditErrorLevel { get; set; }

    public string[] DeclaringFiles { get; set; } = [];

    /// <summary>
    /// The verdict file under <c>obj/</c> (<see cref="DependencyVerdict"/>); empty for none, as in a CI or Locked build,
    /// whose caches are not trusted.
    /// </summary>
    public string? VerdictFile { get; set; }

    protected override string GuardName => "dependencies";

    protected override void Run(List<Finding> findings)
    {
        // A multi-targeted project is checked once: by its outer build, or by the first of its framework builds in this process.
        if (AlreadyRanInThisBuild($"MlBuildGuard.Dependencies|{FullPath(ProjectFile)}"))
        {
            Log.LogMessage(MessageImportance.Low, "MlBuildGuard dependencies: already verified for this project in this build.");
            return;
        }

        // Nothing here may name a NuGet type: an unchanged project's findings are replayed without loading NuGet's libraries.
        var options = string.IsNullOrWhiteSpace(VerdictFile) ? null : new DependencyVerdictOptions
        {
            Path = FullPath(VerdictFile),
            Settings = VerdictSettings(),
            Today = ResolveToday(),
            Locked = LockModeParser.IsTrue(ContinuousIntegrationBuild),
            WatchedFiles = DeclaringFiles.Where(f => !string.IsNullOrWhiteSpace(f)).Select(FullPath).ToList(),
        };
        var result = DependencyVerdict.Run(options, BuildRequest, CancellationToken);
        Log.LogMessage(MessageImportance.Normal, result.Replayed
            ? $"MlBuildGuard dependencies: nothing changed since the last build (assets file, lock file, NuGet configuration, package folders, settings); its {result.Findings.Count} finding(s) stand."
            : $"MlBuildGuard dependencies: {result.PackagesVerified} package(s) verified against their archives, {result.PackagesFromCache} unchanged since verified.");
        foreach (var note in result.Notes)
        {
            Log.LogMessage(MessageImportance.Low, "MlBuildGuard dependencies: " + note);
        }

        findings.AddRange(result.Findings);
        Summarize(Core.Reporting.BuildSummary.PackagesVerified, result.PackagesVerified + result.PackagesFromCache);
    }

    /// <summary>Every parameter that can change the guard's findings, one string each (what the verdict is keyed on).</summary>
    internal List<string> VerdictSettings()
    {
        var settings = new List<string>
        {
            "tasks=" + typeof(MlGuardVerifyDependencies).Assembly.ManifestModule.ModuleVersionId,
            Setting(nameof(ProjectDirectory), ProjectDirectory),
            Setting(nameof(ProjectFile), ProjectFile),
            Setting(nameof(AssetsFile), AssetsFile),
            Setting(nameof(NuGetLockFilePath), NuGetLockFilePath),
            Setting(nameof(RestorePackagesWithLockFile), RestorePackagesWithLockFile),
            Setting(nameof(RestoreLockedMode), RestoreLockedMode),
            Setting(nameof(ContinuousIntegrationBuild), ContinuousIntegrationBuild),
            Setting(nameof(PackagesFolder), PackagesFolder),
            Setting(nameof(IntegrityCacheFile), IntegrityCacheFile),
            Setting(nameof(TrustedSources), TrustedSources),
            Setting(nameof(AdvisoryDatabase), AdvisoryDatabase),
            Setting(nameof(Offline), Offline),
            Setting(nameof(AuditErrorLevel), AuditErrorLevel),
            Setting(nameof(Today), Today),
        };
        settings.AddRange(DeclaringFiles.Select(f => Setting(nameof(DeclaringFiles), f)));
        foreach (var (name, items) in new[]
        {
            (nameof(PackageReferences), PackageReferences), (nameof(PackageVersions), PackageVersions), (nameof(DeniedPackages), DeniedPackages),
            (nameof(KnownPackages), KnownPackages), (nameof(PythonRequirements), PythonRequirements), (nameof(Suppressions), Suppressions),
        })
        {
            foreach (var item in items)
            {
                var metadata = item.CloneCustomMetadata().Keys.Cast<object>().Select(k => $"{k}={item.GetMetadata(k.ToString()!)}").Order(StringComparer.Ordinal);
                settings.Add(Setting(name, string.Join('\0', [item.ItemSpec, "DefiningProjectFullPath=" + item.GetMetadata("DefiningProjectFullPath"), .. metadata])));
            }
        }

        return settings;
    }

    private static string Setting(string name, string? value) => value is null ? name : $"{name}={value}";

    /// <summary>What the guard needs, NuGet's configuration included: only built when no verdict holds.</summary>
    private DependencyRequest BuildRequest(DependencyVerdict.Setup setup)
    {
        var findings = setup.Findings;
        var at = new SourceLocation(ProjectFile);
        var ci = LockModeParser.IsTrue(ContinuousIntegrationBuild);
        if (!AdvisorySeverityNames.TryParse(string.IsNullOrWhiteSpace(AuditErrorLevel) ? "high" : AuditErrorLevel, out var level))
        {
            findings.Add(Finding.Create(RuleCatalog.InvalidConfiguration, at, null, $"MlGuardAuditErrorLevel is '{AuditErrorLevel}'; use low, moderate, high or critical"));
            level = AdvisorySeverity.Low; // fail closed: every advisory is an error
        }

        var denied = new List<DeniedPackageRule>();
        foreach (var item in DeniedPackages)
        {
            var versions = NullIfEmpty(item.GetMetadata("Versions"));
            VersionRange? range = null;
            if (versions is not null && !VersionRange.TryParse(versions, out range))
            {
                findings.Add(Finding.Create(RuleCatalog.InvalidConfiguration, at, item.ItemSpec, $"MlDeniedPackage '{item.ItemSpec}' has Versions '{versions}', which is not a NuGet version range; the package is denied in every version"));
                range = null;
            }

            denied.Add(new DeniedPackageRule(item.ItemSpec, range, range is null ? null : versions, NullIfEmpty(item.GetMetadata("Reason"))));
        }

        IPackageFeeds? feeds = null;
        try
        {
            feeds = NuGetPackageFeeds.Load(ProjectDirectory);
        }
        catch (DependencyDataException e)
        {
            findings.Add(Finding.Create(RuleCatalog.NoVulnerabilityData, at, "nuget.config", $"Package sources and audit sources cannot be read: {e.Message}.")
                .WithSeverity(ci ? Severity.Error : Severity.Warning));
            setup.DoNotRemember(); // which file broke it is unknown, so no verdict could notice the fix
        }

        return new DependencyRequest
        {
            ProjectDirectory = ProjectDirectory,
            ProjectFile = FullPath(ProjectFile),
            PackageReferences = Items(PackageReferences, "PackageReference").Concat(Items(PackageVersions, "PackageVersion")).ToList(),
            AssetsFile = string.IsNullOrWhiteSpace(AssetsFile) ? null : FullPath(AssetsFile),
            NuGetLockFile = NullIfEmpty(NuGetLockFilePath),
            RestorePackagesWithLockFile = RestorePackagesWithLockFile ?? "", // MSBuild passes no empty parameter: unset means not true
            RestoreLockedMode = RestoreLockedMode,
            ContinuousIntegration = ci,
            PackagesFolder = NullIfEmpty(PackagesFolder),
            IntegrityCacheFile = string.IsNullOrWhiteSpace(IntegrityCacheFile) ? null : FullPath(IntegrityCacheFile),
            DeniedPackages = denied,
            KnownPackages = KnownPackages.Select(k => k.ItemSpec).ToList(),
            PythonRequirementFiles = PythonRequirements.Select(p => p.ItemSpec).ToList(),
            TrustedSources = (TrustedSources ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            AdvisoryDatabase = NullIfEmpty(AdvisoryDatabase),
            Offline = LockModeParser.IsTrue(Offline),
            AuditErrorLevel = level,
            Feeds = feeds,
            Declarations = ItemDeclarations.Find(DeclaringFiles.Select(FullPath), "PackageReference")
                .Concat(ItemDeclarations.Find(DeclaringFiles.Select(FullPath), "PackageVersion")).ToList(),
        };
    }

    private static IEnumerable<PackageReferenceItem> Items(ITaskItem[] items, string itemType) => items.Select(i => new PackageReferenceItem(
        itemType,
        i.ItemSpec,
        NullIfEmpty(i.GetMetadata("Version")),
        NullIfEmpty(i.GetMetadata("VersionOverride")),
        NullIfEmpty(i.GetMetadata("DefiningProjectFullPath")),
        string.Equals(i.GetMetadata("IsImplicitlyDefined"), "true", StringComparison.OrdinalIgnoreCase)));
}
