using MlBuildGuard.Core.Configuration;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Reporting;
using MlBuildGuard.Core.TrainingInputs;
using Microsoft.Build.Framework;

namespace MlBuildGuard.Tasks;

/// <summary>The training-input guard (MLG401–MLG407) for <c>@(MlTrainingInput)</c>; the logic is <see cref="TrainingInputGuard"/>.</summary>
public sealed class MlGuardVerifyTrainingInputs : MlGuardTask
{
    /// <summary><c>@(MlTrainingInput)</c>, with optional <c>Source</c> metadata.</summary>
    public ITaskItem[] Inputs { get; set; } = [];

    [Required]
    public string LockFile { get; set; } = "";

    public string? LockMode { get; set; }

    public string? UpdateLock { get; set; }

    public string? ContinuousIntegrationBuild { get; set; }

    /// <summary>The stamp cache under <c>obj/</c> that spares re-reading unchanged files.</summary>
    public string? CacheFile { get; set; }

    /// <summary>MSBuild files in which <c>MlTrainingInput</c> items may be declared (for patterns and line numbers).</summary>
    public string[] DeclaringFiles { get; set; } = [];

    /// <summary>Folder under <c>obj/</c> where this guard's part of a new lock waits until the build has succeeded.</summary>
    public string? StagingDirectory { get; set; }

    /// <summary>
    /// Which build records the lock (<c>$(_MlGuardLockRole)</c>): <c>self</c>, the <c>outer</c> build of a multi-targeted
    /// project, or a <c>framework</c> build of one, which leaves the training inputs to its outer build when one runs.
    /// </summary>
    public string? LockRole { get; set; }

    /// <summary><c>obj/mlguard/</c>, where the outer build of a multi-targeted project holds its claim.</summary>
    public string? StateDirectory { get; set; }

    /// <summary>The staged part to commit after a successful build (<c>MlGuardCommitLock</c>); empty when nothing is to be written.</summary>
    [Output]
    public string? StagedLockFile { get; set; }

    protected override string GuardName => "training-inputs";

    protected override void Run(List<Finding> findings)
    {
        // Configuration errors are reported by MlGuardValidateConfiguration; here they only mean the build fails, so no lock is written.
        var mode = LockModeParser.Resolve(LockMode, UpdateLock, ContinuousIntegrationBuild, out var configurationErrors);

        // Multi-targeted projects build once per framework; within one process the first build of the project does the work.
        if (AlreadyRanInThisBuild($"MlBuildGuard.TrainingInputs|{FullPath(ProjectFile)}|{FullPath(LockFile)}|{mode}"))
        {
            Log.LogMessage(MessageImportance.Low, "MlBuildGuard training-inputs: already verified for this project in this build.");
            return;
        }

        using var hashing = HashingLog();
        var request = new TrainingInputRequest
        {
            Progress = hashing.Progress,
            Files = SharedFiles(),
            ProjectDirectory = ProjectDirectory,
            ProjectFile = FullPath(ProjectFile),
            LockFilePath = FullPath(LockFile),
            Mode = mode,
            Items = TaskItems.TrainingInputs(Inputs),
            DeclaringFiles = [.. DeclaringFiles.Where(f => !string.IsNullOrWhiteSpace(f)).Select(FullPath)],
            FindDeclarations = () => ItemDeclarations.Find(DeclaringFiles.Select(FullPath), "MlTrainingInput"),
            CacheFilePath = string.IsNullOrEmpty(CacheFile) ? null : FullPath(CacheFile),
            Suppressions = ActiveSuppressions(),
            BuildAlreadyFails = ConfigurationFailed || configurationErrors.Count > 0 || HasSuppressionErrors(),
            StagingDirectory = string.IsNullOrEmpty(StagingDirectory) ? null : FullPath(StagingDirectory),
            RecordsLock = LockRoles.RecordsTrainingInputs(LockRole, string.IsNullOrEmpty(StateDirectory) ? null : FullPath(StateDirectory)),
        };

        var result = TrainingInputGuard.Run(request, CancellationToken);
        hashing.Dispose();
        StagedLockFile = result.StagedLock;
        foreach (var note in result.Notes)
        {
            Log.LogMessage(MessageImportance.High, "MlBuildGuard: " + note);
        }

        Log.LogMessage(MessageImportance.Normal,
            $"MlBuildGuard training-inputs: {Inputs.Length} input(s), {result.FilesRead} read, {result.FilesReadByOtherGuard} taken from the training-data check's read, "
            + $"{result.FilesFromCache} unchanged since the last build (mode {mode}).");
        findings.AddRange(result.Findings);
        Summarize(result.StagedLock is not null || result.LockWritten ? BuildSummary.TrainingInputsLocked : BuildSummary.TrainingInputsUnchanged, Inputs.Length);
    }
}
