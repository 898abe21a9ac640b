using System.Text.Json;
using MlBuildGuard.Core.IO;
using MlBuildGuard.Core.Diagnostics;
using NuGet.Common;
using NuGet.ProjectModel;

namespace MlBuildGuard.Core.Dependencies;

/// <summary>MLG104: <c>packages.lock.json</c> must say exactly what restore resolved (<c>project.assets.json</c>).</summary>
internal static class LockFileConsistency
{
    /// <summary>Reads the NuGet lock file; a malformed one is MLG104 with line and column, and null is returned.</summary>
    public static PackagesLockFile? Read(string path, List<Finding> findings)
    {
        var bytes = File.ReadAllBytes(path);
        var name = Path.GetFileName(path);
        try
        {
            using var document = JsonInput.Parse(bytes, maxDepth: 16);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("version", out var version) || version.ValueKind != JsonValueKind.Number
                || !root.TryGetProperty("dependencies", out var dependencies) || dependencies.ValueKind != JsonValueKind.Object)
            {
                findings.Add(Finding.Create(RuleCatalog.NuGetLockFileOutOfSync, new SourceLocation(path, 1, 1), name,
                    name, "it is not a NuGet lock file (it needs a numeric 'version' and a 'dependencies' object)"));
                return null;
            }
        }
        catch (JsonInputException e)
        {
            findings.Add(Finding.Create(RuleCatalog.NuGetLockFileOutOfSync, new SourceLocation(path, e.Line, e.Column), name,
                name, $"it cannot be read ({e.Message})"));
            return null;
        }

        try
        {
            // NuGet's reader logs what it cannot read and returns an empty lock; an empty lock would check nothing.
            var logger = new CollectingLogger();
            var lockFile = PackagesLockFileFormat.Read(new MemoryStream(bytes), logger, path);
            if (lockFile.Version < 1 || logger.Errors.Count > 0)
            {
                findings.Add(Finding.Create(RuleCatalog.NuGetLockFileOutOfSync, new SourceLocation(path), name,
                    name, $"it cannot be read as a NuGet lock file ({(logger.Errors.Count > 0 ? logger.Errors[0] : "NuGet rejects a version, range or entry in it")})"));
                return null;
            }

            return lockFile;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            findings.Add(Finding.Create(RuleCatalog.NuGetLockFileOutOfSync, new SourceLocation(path), name,
                name, $"it cannot be read as a NuGet lock file ({e.Message})"));
            return null;
        }
    }

    /// <summary>
    /// For a lock NuGet cannot read (already reported as MLG104): every package entry whose id, version and content hash
    /// can still be read, so the cache-integrity check keeps verifying them instead of seeing no packages at all.
    /// </summary>
    public static IReadOnlyList<LockedPackage> ReadablePackages(string path)
    {
        var packages = new List<LockedPackage>();
        try
        {
            using var document = JsonInput.Parse(File.ReadAllBytes(path), maxDepth: 16);
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("dependencies", out var targets) || targets.ValueKind != JsonValueKind.Object)
            {
                return packages;
            }

            foreach (var target in targets.EnumerateObject().Where(t => t.Value.ValueKind == JsonValueKind.Object))
            {
                foreach (var entry in target.Value.EnumerateObject().Where(e => e.Value.ValueKind == JsonValueKind.Object))
                {
                    var v = entry.Value;
                    if (v.TryGetProperty("resolved", out var resolved) && resolved.ValueKind == JsonValueKind.String
                        && NuGet.Versioning.NuGetVersion.TryParse(resolved.GetString(), out var version)
                        && v.TryGetProperty("contentHash", out var hash) && hash.ValueKind == JsonValueKind.String)
                    {
                        packages.Add(new LockedPackage(entry.Name, version, hash.GetString()));
                    }
                }
            }
        }
        catch (Exception e) when (e is JsonInputException || JsonInput.IsShapeError(e))
        {
            // Not JSON, or not of this shape: what was read so far is verified (MLG104 already says the lock is broken).
        }

        return packages.DistinctBy(p => (p.Id.ToLowerInvariant(), p.Version)).ToList();
    }

    /// <summary>Keeps the errors NuGet's readers log instead of throwing.</summary>
    private sealed class CollectingLogger : LoggerBase
    {
        public List<string> Errors { get; } = new();

        public override void Log(ILogMessage message)
        {
            if (message.Level >= LogLevel.Error)
            {
                Errors.Add(message.Message);
            }
        }

        public override Task LogAsync(ILogMessage message)
        {
            Log(message);
            return Task.CompletedTask;
        }
    }

    public static void Compare(string lockPath, PackagesLockFile lockFile, PackageGraph restored, List<Finding> found)
    {
        var findings = new List<Finding>();
        CompareTargets(lockPath, lockFile, restored, findings);
        found.AddRange(findings.Select(f => f.Subject == Path.GetFileName(lockPath) ? f : f with { SubjectKind = SubjectKind.Package }));
    }

    private static void CompareTargets(string lockPath, PackagesLockFile lockFile, PackageGraph restored, List<Finding> findings)
    {
        var name = Path.GetFileName(lockPath);
        var at = new SourceLocation(lockPath);
        var lockTargets = lockFile.Targets.ToDictionary(t => t.Name, StringComparer.OrdinalIgnoreCase);
        foreach (var targetName in restored.TargetNames.Order(StringComparer.Ordinal))
        {
            if (!lockTargets.TryGetValue(targetName, out var locked))
            {
                findings.Add(Finding.Create(RuleCatalog.NuGetLockFileOutOfSync, at, name, name, $"restore resolved the target '{targetName}', which the lock file does not have"));
                continue;
            }

            var lockedPackages = locked.Dependencies.Where(d => d.Type != PackageDependencyType.Project)
                .ToDictionary(d => d.Id, StringComparer.OrdinalIgnoreCase);
            foreach (var (id, package) in restored.Target(targetName).OrderBy(p => p.Key, StringComparer.OrdinalIgnoreCase))
            {
                if (!lockedPackages.Remove(id, out var entry))
                {
                    findings.Add(Finding.Create(RuleCatalog.NuGetLockFileOutOfSync, at, id, name, $"{targetName}: restore resolved {package.Id} {package.Version}, which the lock file does not have"));
                }
                else if (entry.ResolvedVersion != package.Version)
                {
                    findings.Add(Finding.Create(RuleCatalog.NuGetLockFileOutOfSync, at, id, name, $"{targetName}: restore resolved {package.Id} {package.Version}, the lock file has {entry.ResolvedVersion}"));
                }
                else if (!string.IsNullOrEmpty(package.ContentHash) && !string.Equals(entry.ContentHash, package.ContentHash, StringComparison.Ordinal))
                {
                    findings.Add(Finding.Create(RuleCatalog.NuGetLockFileOutOfSync, at, id, name, $"{targetName}: {package.Id} {package.Version} has content hash {package.ContentHash} in the restore, {entry.ContentHash} in the lock file"));
                }
            }

            foreach (var extra in lockedPackages.Values.OrderBy(d => d.Id, StringComparer.OrdinalIgnoreCase))
            {
                findings.Add(Finding.Create(RuleCatalog.NuGetLockFileOutOfSync, at, extra.Id, name, $"{targetName}: the lock file has {extra.Id} {extra.ResolvedVersion}, which restore did not resolve"));
            }
        }
    }
}
