using System.CommandLine;
using System.Xml;
using MlBuildGuard.Core.Configuration;
using MlBuildGuard.Core.Dependencies;
using MlBuildGuard.Core.Dependencies.Advisories;
using MlBuildGuard.Core.Diagnostics;
using NuGet.Common;
using NuGet.Configuration;
using NuGet.ProjectModel;

namespace MlBuildGuard.Tool.Commands;

/// <summary>
/// <c>mlguard audit PROJECT_OR_LOCKFILE [--advisories DIR] [--offline]</c>: the dependency guard's pinning, lock, cache
/// integrity and vulnerability rules on a restored project (its <c>obj/project.assets.json</c>) or on a bare
/// <c>packages.lock.json</c>. Prints findings in MSBuild's canonical format; exit 0 clean, 1 errors, 2 usage or I/O error.
/// </summary>
public static class AuditCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var target = new Argument<string>("PROJECT_OR_LOCKFILE") { Description = "A project file, a folder with one project file, or a packages.lock.json." };
        var advisories = new Option<string?>("--advisories") { Description = "Folder of offline advisories (OSV JSON, OSV zip exports, or NuGet VulnerabilityInfo pages)." };
        var offline = new Option<bool>("--offline") { Description = "Ask no feed: only the offline advisories and the local package cache." };
        var command = new Command("audit", "Check a restored project's packages: pinning, lock file, local cache integrity, vulnerabilities, deprecation.")
        {
            target, advisories, offline,
        };
        command.SetAction(r => Run(r.GetValue(target)!, r.GetValue(advisories), r.GetValue(offline), stdout, stderr));
        return command;
    }

    public static int Run(string target, string? advisories, bool offline, TextWriter stdout, TextWriter stderr)
    {
        try
        {
            var request = BuildRequest(Path.GetFullPath(target), advisories, offline);
            var result = DependencyGuard.Run(request);
            foreach (var finding in result.Findings)
            {
                stdout.WriteLine(finding.ToCanonicalString());
            }

            var errors = result.Findings.Count(f => f.Severity == Severity.Error);
            var warnings = result.Findings.Count(f => f.Severity == Severity.Warning);
            stderr.WriteLine($"mlguard audit: {errors} error(s), {warnings} warning(s); {result.PackagesVerified + result.PackagesFromCache} package(s) checked against their archives.");
            return errors > 0 ? 1 : 0;
        }
        catch (Exception e) when (e is DependencyDataException or IOException or UnauthorizedAccessException or XmlException)
        {
            stderr.WriteLine($"mlguard: {e.Message}");
            return Program.UsageOrIoError;
        }
    }

    private static DependencyRequest BuildRequest(string target, string? advisories, bool offline)
    {
        string projectDirectory;
        string projectFile;
        string? assets = null;
        string? lockFile = null;
        EvaluatedProject? evaluated = null;
        if (File.Exists(target) && target.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            lockFile = target;
            projectDirectory = Path.GetDirectoryName(target)!;
            projectFile = target;
        }
        else
        {
            projectFile = Directory.Exists(target) ? SingleProject(target) : target;
            if (!File.Exists(projectFile))
            {
                throw new IOException($"'{target}' is neither a project file, a folder with one, nor a packages.lock.json");
            }

            projectDirectory = Path.GetDirectoryName(projectFile)!;
            evaluated = ProjectEvaluation.Evaluate(projectFile);
            assets = evaluated.Property("ProjectAssetsFile") ?? Path.Combine(projectDirectory, "obj", "project.assets.json");
            if (!File.Exists(assets))
            {
                throw new IOException($"'{assets}' does not exist: restore the project first (dotnet restore)");
            }
        }

        var settings = LoadSettings(projectDirectory);
        var packagesFolder = assets is not null ? RestoredPackagesFolder(assets) : GlobalPackagesFolder(settings);
        // The project's own settings as the build evaluates them; the command line's options add to them.
        offline = offline || LockModeParser.IsTrue(evaluated?.Property("MlGuardOffline"));
        var database = advisories ?? evaluated?.Property("MlGuardAdvisoryDatabase");
        var level = AdvisorySeverity.High;
        if (evaluated?.Property("MlGuardAuditErrorLevel") is { } levelText && !AdvisorySeverityNames.TryParse(levelText, out level))
        {
            throw new DependencyDataException($"MlGuardAuditErrorLevel is '{levelText}'; use low, moderate, high or critical");
        }

        var declaring = (evaluated?.Packages ?? []).Select(p => p.DefiningFile).OfType<string>().Append(projectFile).Distinct(StringComparer.Ordinal).ToList();
        return new DependencyRequest
        {
            ProjectDirectory = projectDirectory,
            ProjectFile = projectFile,
            PackageReferences = evaluated?.Packages ?? [],
            AssetsFile = assets,
            NuGetLockFile = lockFile ?? evaluated?.Property("NuGetLockFilePath"),
            RestorePackagesWithLockFile = evaluated is null ? null : evaluated.Property("RestorePackagesWithLockFile") ?? "",
            RestoreLockedMode = evaluated?.Property("RestoreLockedMode"),
            ContinuousIntegration = LockModeParser.IsTrue(evaluated?.Property("ContinuousIntegrationBuild")),
            PackagesFolder = packagesFolder,
            TrustedSources = (evaluated?.Property("MlGuardTrustedSources") ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            AdvisoryDatabase = database is null ? null : Path.GetFullPath(database, advisories is null ? projectDirectory : Directory.GetCurrentDirectory()),
            Offline = offline,
            AuditErrorLevel = level,
            Feeds = offline ? null : NuGetPackageFeeds.Load(projectDirectory),
            Declarations = lockFile is null
                ? ItemDeclarations.Find(declaring, "PackageReference").Concat(ItemDeclarations.Find(declaring, "PackageVersion")).ToList()
                : [],
        };
    }

    private static ISettings LoadSettings(string directory)
    {
        try
        {
            return Settings.LoadDefaultSettings(directory);
        }
        catch (Exception e) when (e is not (OperationCanceledException or OutOfMemoryException))
        {
            throw new DependencyDataException($"the NuGet configuration cannot be read: {e.Message}");
        }
    }

    /// <summary>The package folder restore used (the assets file's first); null when the file cannot say (the guard reports that file).</summary>
    private static string? RestoredPackagesFolder(string assets)
    {
        try
        {
            return new LockFileFormat().Read(assets, NullLogger.Instance)?.PackageFolders.FirstOrDefault()?.Path;
        }
        catch (Exception e) when (e is not (OperationCanceledException or OutOfMemoryException))
        {
            return null;
        }
    }

    private static string? GlobalPackagesFolder(ISettings settings)
    {
        try
        {
            return SettingsUtility.GetGlobalPackagesFolder(settings);
        }
        catch (Exception e) when (e is not (OperationCanceledException or OutOfMemoryException))
        {
            throw new DependencyDataException($"the NuGet configuration cannot be read: {e.Message}");
        }
    }

    private static string SingleProject(string folder)
    {
        var projects = Directory.GetFiles(folder, "*.*proj");
        return projects.Length == 1 ? projects[0] : throw new IOException($"'{folder}' holds {projects.Length} project files; name one");
    }
}
