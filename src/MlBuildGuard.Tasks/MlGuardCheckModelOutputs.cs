using MlBuildGuard.Core.Configuration;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Reproducibility;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace MlBuildGuard.Tasks;

/// <summary>
/// MLG503: produced models against the digests in the lock's <c>modelOutputs</c>; the logic is <see cref="ModelOutputGuard"/>.
/// Returns every produced file with its digest, for the provenance and the ML-BOM, so no model is hashed twice.
/// </summary>
public sealed class MlGuardCheckModelOutputs : MlGuardProducedFilesTask
{
    /// <summary><c>@(MlModelOutput)</c>.</summary>
    public ITaskItem[] Outputs { get; set; } = [];

    [Required]
    public string LockFile { get; set; } = "";

    public string? LockMode { get; set; }

    public string? UpdateLock { get; set; }

    public string? ContinuousIntegrationBuild { get; set; }

    /// <summary><c>$(MlGuardReproducibleOutputs)</c>: false only hashes the outputs (for provenance).</summary>
    public string? ReproducibleOutputs { get; set; }

    /// <summary>Folder under <c>obj/</c> where this guard's part of a new lock waits until the build has succeeded.</summary>
    public string? StagingDirectory { get; set; }

    public string? CacheFile { get; set; }

    /// <summary>The staged part to commit after a successful build (<c>MlGuardCommitLock</c>); empty when nothing is to be written.</summary>
    [Output]
    public string? StagedLockFile { get; set; }

    /// <summary>Each produced file: ItemSpec the project-relative key, metadata <c>Sha256</c>, <c>Size</c>, <c>FullPath</c> is implied.</summary>
    [Output]
    public ITaskItem[] ProducedFiles { get; set; } = [];

    protected override string GuardName => "model-outputs";

    protected override void Run(List<Finding> findings)
    {
        var mode = LockModeParser.Resolve(LockMode, UpdateLock, ContinuousIntegrationBuild, out var configurationErrors);
        using var hashing = HashingLog();
        var keys = Keys();
        var result = ModelOutputGuard.Run(new ModelOutputRequest
        {
            Progress = hashing.Progress,
            ProjectDirectory = ProjectDirectory,
            ProjectFile = FullPath(ProjectFile),
            LockFilePath = FullPath(LockFile),
            Mode = mode,
            Outputs = Outputs.Select(o => o.ItemSpec).ToArray(),
            Record = !string.Equals(ReproducibleOutputs, "false", StringComparison.OrdinalIgnoreCase),
            StagingDirectory = string.IsNullOrEmpty(StagingDirectory) ? null : FullPath(StagingDirectory),
            TargetFramework = NullIfEmpty(TargetFramework),
            CacheFilePath = string.IsNullOrEmpty(CacheFile) ? null : FullPath(CacheFile),
            OutputDirectory = keys.OutputDirectory,
            KeyPrefix = keys.KeyPrefix,
            LegacyOutputRoot = keys.LegacyOutputRoot,
            BuildAlreadyFails = ConfigurationFailed || configurationErrors.Count > 0 || HasSuppressionErrors(),
        }, CancellationToken);
        hashing.Dispose();

        StagedLockFile = result.StagedLock;
        foreach (var note in result.Notes)
        {
            Log.LogMessage(MessageImportance.High, "MlBuildGuard: " + note);
        }

        ProducedFiles = [.. result.Files.Select(f =>
        {
            var item = new TaskItem(MsBuildEscape(f.Key));
            item.SetMetadata("Sha256", f.Sha256);
            item.SetMetadata("Size", f.Size.ToString(System.Globalization.CultureInfo.InvariantCulture));
            item.SetMetadata("Path", MsBuildEscape(f.FullPath));
            return (ITaskItem)item;
        })];
        findings.AddRange(result.Findings);
        Summarize(Core.Reporting.BuildSummary.ModelsSealed, Outputs.Select(o => FullPath(o.ItemSpec)).Distinct(StringComparer.Ordinal).Count());
    }
}
