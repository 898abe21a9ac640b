using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Secrets;
using MlBuildGuard.Core.Secrets.Files;
using Microsoft.Build.Framework;

namespace MlBuildGuard.Tasks;

/// <summary>Credentials (MLG801) in consumed (<c>@(MlModel)</c>) or produced (<c>@(MlModelOutput)</c>) models; the logic is <see cref="ModelSecretsGuard"/>.</summary>
public sealed class MlGuardScanModelSecrets : MlGuardTask
{
    public ITaskItem[] Models { get; set; } = [];

    /// <summary><c>models</c> or <c>model-outputs</c>: names this run's findings file and log lines.</summary>
    [Required]
    public string Kind { get; set; } = "";

    public string? SecretRules { get; set; }

    public string? SecretsBaseline { get; set; }

    /// <summary>The stamp cache under <c>obj/</c> (empty in CI and <c>Locked</c> builds).</summary>
    public string? CacheFile { get; set; }

    protected override string GuardName => Kind + "-secrets";

    protected override void Run(List<Finding> findings)
    {
        var secrets = SecretConfiguration.Load(FullPathOrNull(SecretRules), FullPathOrNull(SecretsBaseline));
        var result = ModelSecretsGuard.Run([.. Models.Select(m => FullPath(m.ItemSpec))], ProjectDirectory, secrets, FullPathOrNull(CacheFile), CancellationToken);
        Log.LogMessage(MessageImportance.Normal,
            $"MlBuildGuard {GuardName}: {result.FilesRead} file(s) read, {result.FilesFromCache} unchanged since the last build.");
        // A rule file or baseline that cannot be used (MLG803) is reported once, by MlGuardCheckTrainingData.
        findings.AddRange(result.Findings);
    }
}
