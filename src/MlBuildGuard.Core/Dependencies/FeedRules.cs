using MlBuildGuard.Core.Dependencies.Advisories;
using MlBuildGuard.Core.Diagnostics;
using NuGet.Common;
using NuGet.Packaging;

namespace MlBuildGuard.Core.Dependencies;

/// <summary>MLG106 (package sources), MLG201 and MLG203 (vulnerabilities and their data), MLG202 (deprecation).</summary>
internal static class FeedRules
{
    public static void CheckSources(DependencyRequest request, IReadOnlyList<LockedPackage> packages, PackageGraph? graph, List<Finding> findings)
    {
        var severity = request.ContinuousIntegration ? Severity.Error : Severity.Warning;
        var at = new SourceLocation(request.ProjectFile);
        if (request.Feeds is { } feeds && feeds.PackageSources.Count > 1 && !feeds.SourceMappingEnabled)
        {
            findings.Add(Finding.Create(RuleCatalog.UntrustedPackageSource, at, "nuget.config",
                $"NuGet has {feeds.PackageSources.Count} package sources ({string.Join(", ", feeds.PackageSources.Select(s => s.Name))}) and no package source mapping, so any of them can supply any package (dependency confusion). Add <packageSourceMapping> to nuget.config.")
                .WithSeverity(severity));
        }

        if (request.TrustedSources.Count == 0 || string.IsNullOrWhiteSpace(request.PackagesFolder))
        {
            return;
        }

        foreach (var package in packages)
        {
            var metadata = Path.Combine(request.PackagesFolder, package.Id.ToLowerInvariant(), package.Version.ToNormalizedString().ToLowerInvariant(), ".nupkg.metadata");
            if (!File.Exists(metadata))
            {
                continue;
            }

            string? source;
            try
            {
                source = NupkgMetadataFileFormat.Read(metadata, NullLogger.Instance).Source;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                source = null;
            }

            if (source is not null && request.TrustedSources.Any(t => SameSource(t, source, request.ProjectDirectory)))
            {
                continue;
            }

            var message = source is null
                ? $"Package {package.Id} {package.Version} records no source in the package cache, so it cannot be shown to come from MlGuardTrustedSources."
                : $"Package {package.Id} {package.Version} came from '{source}', which is not in MlGuardTrustedSources.";
            findings.Add(Finding.Create(RuleCatalog.UntrustedPackageSource, DeclarationLocator.Locate(request, graph is null ? package.Id : TopLevel(graph, package.Id)), package.Id, message)
                .WithSeverity(severity) with { SubjectKind = SubjectKind.Package });
        }
    }

    private static bool SameSource(string trusted, string actual, string projectDirectory)
    {
        if (NuGetPackageFeeds.SameSource(trusted, actual))
        {
            return true;
        }

        // Local folder feeds may be written relative to the project or with a trailing separator.
        return !trusted.Contains("://", StringComparison.Ordinal) && !actual.Contains("://", StringComparison.Ordinal)
            && string.Equals(Path.TrimEndingDirectorySeparator(Path.GetFullPath(trusted, projectDirectory)),
                Path.TrimEndingDirectorySeparator(Path.GetFullPath(actual)), StringComparison.Ordinal);
    }

    public static void CheckVulnerabilities(DependencyRequest request, PackageGraph graph, List<Finding> findings, CancellationToken cancellationToken)
    {
        var dataSeverity = request.ContinuousIntegration ? Severity.Error : Severity.Warning;
        var at = new SourceLocation(request.ProjectFile);
        var advisories = new AdvisorySet();
        var sourcesWithData = new List<string>();
        var asked = new List<string>(); // each source asked and what it returned, for MLG203
        if (!string.IsNullOrWhiteSpace(request.AdvisoryDatabase))
        {
            var folder = Path.GetFullPath(request.AdvisoryDatabase, request.ProjectDirectory);
            var offline = OfflineAdvisoryDatabase.Load(folder, cancellationToken);
            foreach (var problem in offline.Problems)
            {
                findings.Add(Finding.Create(RuleCatalog.NoVulnerabilityData, new SourceLocation(problem.File, problem.Line, problem.Column), "MlGuardAdvisoryDatabase",
                    $"The offline advisory database cannot be read as a whole: '{problem.File}' {problem.Reason}. Packages cannot be shown free of known vulnerabilities until it is fixed or removed.")
                    .WithSeverity(dataSeverity));
            }

            if (offline.Problems.Count == 0)
            {
                advisories.AddRange(offline.Advisories);
                sourcesWithData.Add(folder);
            }

            asked.Add(offline.Problems.Count == 0 ? $"MlGuardAdvisoryDatabase '{folder}' ({offline.Advisories.Count} advisories)" : $"MlGuardAdvisoryDatabase '{folder}' (unreadable)");
        }

        if (!request.Offline && request.Feeds is { } feeds)
        {
            foreach (var feed in feeds.GetAdvisories(cancellationToken))
            {
                if (feed.Error is not null)
                {
                    findings.Add(Finding.Create(RuleCatalog.NoVulnerabilityData, at, feed.Source,
                        $"The vulnerability data of '{feed.Source}' cannot be read: {feed.Error.TrimEnd('.', ' ')}.").WithSeverity(dataSeverity));
                    asked.Add($"'{feed.Source}' (cannot be read)");
                }
                else if (feed.Advisories is not null)
                {
                    advisories.AddRange(feed.Advisories);
                    sourcesWithData.Add(feed.Source);
                    asked.Add($"'{feed.Source}' ({feed.Advisories.Count} advisories)");
                }
                else
                {
                    asked.Add($"'{feed.Source}' (offers no vulnerability data)");
                }
            }
        }

        if (sourcesWithData.Count == 0)
        {
            var (why, advice) = request.Offline
                ? ("MlGuardOffline is true and no MlGuardAdvisoryDatabase gives vulnerability data", "Keep an offline advisory folder and set MlGuardAdvisoryDatabase")
                : ("no package source or audit source provides vulnerability data, and no MlGuardAdvisoryDatabase is configured", "Add an auditSources entry to nuget.config, or keep an offline advisory folder and set MlGuardAdvisoryDatabase");
            // An unreadable offline database already said why there is no data; a feed that failed said only its own part.
            if (!findings.Any(f => f.Code == RuleCatalog.NoVulnerabilityData.Code && f.Subject == "MlGuardAdvisoryDatabase"))
            {
                var sources = asked.Count == 0 ? "No source was asked." : $"Asked: {string.Join("; ", asked)}.";
                findings.Add(Finding.Create(RuleCatalog.NoVulnerabilityData, at, "vulnerability-data",
                    $"No vulnerability data: {why}, so packages cannot be shown free of known vulnerabilities. {sources} {advice}.")
                    .WithSeverity(dataSeverity));
            }

            return;
        }

        foreach (var package in graph.Packages)
        {
            foreach (var advisory in advisories.Affecting(package.Id, package.Version))
            {
                var severity = advisory.Severity == AdvisorySeverity.Unknown || advisory.Severity >= request.AuditErrorLevel ? Severity.Error : Severity.Warning;
                var name = advisory.Id == advisory.Url ? advisory.Url : $"{advisory.Id} ({advisory.Url})";
                var fix = advisory.FixedVersion is null ? "no fixed version known" : $"first fixed in {advisory.FixedVersion}";
                var via = graph.PathTo(package.Id) is { } path ? $"; it comes in through {path}" : "";
                findings.Add(Finding.Create(RuleCatalog.KnownVulnerability, DeclarationLocator.Locate(request, TopLevel(graph, package.Id)), package.Id,
                    package.Id, package.Version.ToNormalizedString(), advisory.Severity.Name(), name, advisory.Affected.ToNormalizedString(), fix, via)
                    .WithSeverity(severity) with { SubjectKind = SubjectKind.Package });
            }
        }
    }

    public static void CheckDeprecations(DependencyRequest request, PackageGraph graph, List<Finding> findings, CancellationToken cancellationToken)
    {
        if (request.Offline || request.Feeds is not { } feeds)
        {
            return;
        }

        foreach (var package in graph.Packages)
        {
            var source = ReadSource(request, package.Id, package.Version.ToNormalizedString());
            if (feeds.GetDeprecation(package.Id, package.Version, source, cancellationToken) is not { } deprecation)
            {
                continue;
            }

            var reasons = deprecation.Reasons.Count > 0 ? string.Join(", ", deprecation.Reasons) : "no reason given";
            var detail = (deprecation.Message is { Length: > 0 } m ? $": {m.Trim().TrimEnd('.')}" : "")
                + (deprecation.AlternatePackage is { } alt ? $"; use {alt} instead" : "");
            findings.Add(Finding.Create(RuleCatalog.DeprecatedPackage, DeclarationLocator.Locate(request, TopLevel(graph, package.Id)), package.Id,
                package.Id, package.Version.ToNormalizedString(), reasons, detail) with { SubjectKind = SubjectKind.Package });
        }
    }

    private static string? ReadSource(DependencyRequest request, string id, string version)
    {
        if (string.IsNullOrWhiteSpace(request.PackagesFolder))
        {
            return null;
        }

        var metadata = Path.Combine(request.PackagesFolder, id.ToLowerInvariant(), version.ToLowerInvariant(), ".nupkg.metadata");
        try
        {
            return File.Exists(metadata) ? NupkgMetadataFileFormat.Read(metadata, NullLogger.Instance).Source : null;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return null;
        }
    }

    private static string TopLevel(PackageGraph graph, string id) => graph.PathTo(id) is { } path ? path.Split(" -> ")[0].Split(' ')[0] : id;
}
