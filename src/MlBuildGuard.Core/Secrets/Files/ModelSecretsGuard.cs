using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Hashing;

namespace MlBuildGuard.Core.Secrets.Files;

/// <summary>
/// Credentials (MLG801) in the models a build consumes or produces: every file of each model (folders recursively,
/// links not followed), its bytes and its zip members, as <see cref="SecretFileScanner"/> reads them. What a file holds is
/// kept with its stamp in a cache, so an unchanged model is not read again. Private key blocks are MLG606, reported by
/// the guards that own model outputs and trusted keys, so they are left out here.
/// </summary>
public static class ModelSecretsGuard
{
    public sealed record Result(IReadOnlyList<Finding> Findings, int FilesRead, int FilesFromCache);

    /// <param name="models">Model files or folders (full paths); a missing one is the model guards' to report.</param>
    /// <param name="cacheFilePath">The stamp cache, or null to read every file.</param>
    public static Result Run(IReadOnlyList<string> models, string projectDirectory, SecretConfiguration secrets, string? cacheFilePath,
        CancellationToken cancellationToken = default)
    {
        var files = models.SelectMany(Files).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var cache = cacheFilePath is null ? HashCache.Empty() : HashCache.Load(cacheFilePath);
        var hashes = FileSetHasher.Hash(files, cache, cancellationToken,
            checks: i => new Check(secrets, Path.GetRelativePath(projectDirectory, files[i]).Replace('\\', '/')));
        cache.PruneAndSave(cacheFilePath, files);

        var findings = new List<Finding>();
        foreach (var hash in hashes.Where(h => h.Content is not null))
        {
            var shown = Path.GetRelativePath(projectDirectory, hash.FullPath).Replace('\\', '/');
            var outcome = secrets.Apply(hash.FullPath, shown, hash.Content!.Secrets.Where(s => s.Kind != SecretKind.PrivateKey), "model data");
            findings.AddRange(outcome.Findings.Select(f => f with { Location = new SourceLocation(hash.FullPath, f.Location?.Line ?? 0, f.Location?.Column ?? 0) }));
        }

        return new Result(findings, hashes.Count(h => h.Content is not null && !h.FromCache), hashes.Count(h => h.FromCache));
    }

    private static IEnumerable<string> Files(string model)
    {
        if (File.Exists(model))
        {
            return [Path.GetFullPath(model)];
        }

        return Directory.Exists(model)
            ? Directory.EnumerateFiles(model, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint })
                .Select(Path.GetFullPath)
            : [];
    }

    /// <summary>The secret scan of one model file, with its digest (a second read: the scanner reads zip members by seeking).</summary>
    private sealed class Check(SecretConfiguration secrets, string rulePath) : IFileContentCheck
    {
        public string Key { get; } = $"model-secrets-1|{secrets.RulesKey}|{rulePath}";

        public FileContentFindings Findings { get; private set; } = FileContentFindings.None;

        public FileDigest Read(string path, CancellationToken cancellationToken)
        {
            var scan = SecretFileScanner.Scan(path, secrets.Rules, rulePath, cancellationToken: cancellationToken);
            Findings = new FileContentFindings { Secrets = scan.Matches, SecretsOmitted = scan.Omitted };
            return Sha256File.Compute(path, cancellationToken);
        }
    }
}
