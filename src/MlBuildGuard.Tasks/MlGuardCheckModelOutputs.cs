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
public sealed class MlGuardCheckModelOutputs : MlGuardTask
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

    /// <summary>The lock staged earlier in this build, if any.</summary>
    public string? StagedLockFile { get; set; }

    public string? StagingDirectory { get; set; }

    public string? CacheFile { get; set; }

    /// <summary>The lock to commit after the build (this run's, or the one passed in).</summary>
    [Output]
    public string? CommitLockFile { get; set; }

    /// <summary>Each produced file: ItemSpec the project-relative key, metadata <c>Sha256</c>, <c>Size</c>, <c>FullPath</c> is implied.</summary>
    [Output]
    public ITaskItem[] ProducedFiles { get; set; } = [];

    protected override string GuardName => "model-outputs";

    protected override void Run(List<Finding> findings)
    {
        CommitLockFile = NullIfEmpty(StagedLockFile);
        var mode = LockModeParser.Resolve(LockMode, UpdateLock, ContinuousIntegrationBuild, out var configurationErrors);
        var result = ModelOutputGuard.Run(new ModelOutputRequest
        {
            ProjectDirectory = ProjectDirectory,
            ProjectFile = FullPath(ProjectFile),
            LockFilePath = FullPath(LockFile),
            Mode = mode,
            Outputs = Outputs.Select(o => o.ItemSpec).ToArray(),
            Record = !string.Equals(ReproducibleOutputs, "false", StringComparison.OrdinalIgnoreCase),
            StagedLockPath = CommitLockFile is null ? null : FullPath(CommitLockFile),
            StagingDirectory = string.IsNullOrEmpty(StagingDirectory) ? null : FullPath(StagingDirectory),
            CacheFilePath = string.IsNullOrEmpty(CacheFile) ? null : FullPath(CacheFile),
            BuildAlreadyFails = ConfigurationFailed || configurationErrors.Count > 0 || HasSuppressionErrors(),
        }, CancellationToken);

        if (result.StagedLock is not null)
        {
            CommitLockFile = result.StagedLock;
        }

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
    }
}
