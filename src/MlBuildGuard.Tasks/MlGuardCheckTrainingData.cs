using MlBuildGuard.Core.Configuration;
using MlBuildGuard.Core.DataValidation;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Provenance;
using MlBuildGuard.Core.Secrets;
using MlBuildGuard.Core.TrainingData;
using Microsoft.Build.Framework;

namespace MlBuildGuard.Tasks;

/// <summary>
/// What the training data holds (MLG701–MLG704 for inputs with a <c>Schema</c>, MLG801–MLG803 for credentials and
/// personal data in every input); the logic is <see cref="TrainingDataGuard"/>. Stages the lock's <c>dataProfiles</c>.
/// </summary>
public sealed class MlGuardCheckTrainingData : MlGuardTask
{
    /// <summary><c>@(MlTrainingInput)</c> with <c>Schema</c>, <c>Format</c>, <c>MaxDrift</c> and <c>Pii</c> metadata.</summary>
    public ITaskItem[] Inputs { get; set; } = [];

    [Required]
    public string LockFile { get; set; } = "";

    public string? LockMode { get; set; }

    public string? UpdateLock { get; set; }

    public string? ContinuousIntegrationBuild { get; set; }

    /// <summary><c>$(MlGuardSecretRules)</c>: a gitleaks-format TOML file of extra rules.</summary>
    public string? SecretRules { get; set; }

    /// <summary><c>$(MlGuardSecretsBaseline)</c>: fingerprints of reviewed, accepted findings.</summary>
    public string? SecretsBaseline { get; set; }

    /// <summary>The stamp cache under <c>obj/</c> (empty in CI and <c>Locked</c> builds).</summary>
    public string? CacheFile { get; set; }

    /// <summary>The schema-verdict cache folder under <c>obj/</c> (empty in CI and <c>Locked</c> builds).</summary>
    public string? VerdictCacheDirectory { get; set; }

    public string? StagingDirectory { get; set; }

    public string? LockRole { get; set; }

    public string? StateDirectory { get; set; }

    /// <summary>
    /// Where the personal-data kinds found are staged (under <c>obj/</c>) for the builds of this project that skip the check
    /// because another build of it already ran it: a multi-targeted project's framework builds, which write the records.
    /// </summary>
    public string? PersonalDataFile { get; set; }

    [Output]
    public string? StagedLockFile { get; set; }

    /// <summary>The personal-data kinds found per input, for the ML-BOM: the lock key as item spec, <c>Kinds</c> (<c>;</c>-separated).</summary>
    [Output]
    public ITaskItem[] PersonalData { get; set; } = [];

    protected override string GuardName => "training-data";

    protected override void Run(List<Finding> findings)
    {
        var mode = LockModeParser.Resolve(LockMode, UpdateLock, ContinuousIntegrationBuild, out var configurationErrors);
        if (AlreadyRanInThisBuild($"MlBuildGuard.TrainingData|{FullPath(ProjectFile)}|{FullPath(LockFile)}|{mode}"))
        {
            // A multi-targeted project's outer build already checked the same data in this build, and staged what it found.
            PersonalData = PersonalDataFile is { Length: > 0 } staged ? PersonalDataItems(StagedPersonalData.Read(FullPath(staged))) : [];
            return;
        }

        using var hashing = HashingLog();
        var result = TrainingDataGuard.Run(new TrainingDataRequest
        {
            Files = SharedFiles(),
            Progress = hashing.Progress,
            ProjectDirectory = ProjectDirectory,
            LockFilePath = FullPath(LockFile),
            Mode = mode,
            Inputs = TaskItems.DataInputs(Inputs),
            Secrets = SecretConfiguration.Load(FullPathOrNull(SecretRules), FullPathOrNull(SecretsBaseline)),
            CacheFilePath = FullPathOrNull(CacheFile),
            VerdictCacheDirectory = FullPathOrNull(VerdictCacheDirectory),
            StagingDirectory = FullPathOrNull(StagingDirectory),
            RecordsLock = LockRoles.RecordsTrainingInputs(LockRole, FullPathOrNull(StateDirectory)),
            Suppressions = ActiveSuppressions(),
            BuildAlreadyFails = ConfigurationFailed || configurationErrors.Count > 0 || HasSuppressionErrors(),
        }, CancellationToken);
        hashing.Dispose();
        if (PersonalDataFile is { Length: > 0 } personalDataFile)
        {
            // For the framework builds that skip this check; every run rewrites it, so their records never show older kinds.
            StagedPersonalData.Write(FullPath(personalDataFile), result.PersonalDataKinds);
        }

        StagedLockFile = result.StagedLock;
        PersonalData = PersonalDataItems(result.PersonalDataKinds);
        foreach (var note in result.Notes)
        {
            Log.LogMessage(MessageImportance.High, "MlBuildGuard: " + note);
        }

        Log.LogMessage(MessageImportance.Normal,
            $"MlBuildGuard training-data: {Inputs.Length} input(s), {result.FilesRead} read, {result.FilesFromCache} unchanged since the last build, "
            + $"{result.FilesReadForSchema} read again for a schema verdict (mode {mode}).");
        findings.AddRange(result.Findings);
    }

    private static ITaskItem[] PersonalDataItems(IReadOnlyDictionary<string, IReadOnlyList<string>> kinds) => [.. kinds.Select(p =>
    {
        var item = new Microsoft.Build.Utilities.TaskItem(MsBuildEscape(p.Key));
        item.SetMetadata("Kinds", string.Join(';', p.Value));
        return (ITaskItem)item;
    })];
}
