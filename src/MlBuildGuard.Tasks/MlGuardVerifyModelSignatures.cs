using MlBuildGuard.Core.Configuration;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Signing;
using Microsoft.Build.Framework;

namespace MlBuildGuard.Tasks;

/// <summary>
/// Verifies the OMS signatures of the models a build consumes (<c>@(MlModel)</c>) before compilation. A model is checked
/// when a trusted key applies to it (<c>@(MlTrustedKey)</c>, or its <c>TrustedKey</c> metadata) or its
/// <c>RequireSignature</c> metadata is true; its signature is <c>MODEL.sig</c> beside it (a folder <c>dir</c>: <c>dir.sig</c>).
/// MLG602 no signature, MLG603 a signature that does not match or is malformed, MLG604 a valid signature by none of the
/// trusted keys, MLG606 a trusted-key file that holds a private key. The logic is <see cref="ModelSignatureGuard"/>'s; this task maps items to it.
/// </summary>
public sealed class MlGuardVerifyModelSignatures : MlGuardTask
{
    /// <summary><c>@(MlModel)</c>: model files or folders, with optional <c>TrustedKey</c> (<c>;</c>-separated PEM paths) and <c>RequireSignature</c>.</summary>
    public ITaskItem[] Models { get; set; } = [];

    /// <summary><c>@(MlTrustedKey)</c>: public keys (PEM) trusted to sign any model.</summary>
    public ITaskItem[] TrustedKeys { get; set; } = [];

    public string? ContinuousIntegrationBuild { get; set; }

    /// <summary>
    /// Valid verdicts by file stamps (model files, signature) and trusted keys, under <c>obj/</c>, so an unchanged model is not
    /// hashed again. Not used on CI, where every model is verified in full.
    /// </summary>
    public string? CacheFile { get; set; }

    /// <summary>Each model whose signature held (full path), with <c>KeyFingerprint</c>: the OMS key hint of the key that signed it.</summary>
    [Output]
    public ITaskItem[] VerifiedModels { get; set; } = [];

    protected override string GuardName => "model-signatures";

    protected override void Run(List<Finding> findings)
    {
        var useCache = !LockModeParser.IsTrue(ContinuousIntegrationBuild) && !string.IsNullOrEmpty(CacheFile);
        using var hashing = HashingLog();
        var result = ModelSignatureGuard.Run(new ModelSignatureRequest
        {
            Progress = hashing.Progress,
            ProjectDirectory = ProjectDirectory,
            ProjectFile = ProjectFile,
            Models = Models.Select(m => new ConsumedModel(
                m.ItemSpec,
                FullPath(m.ItemSpec),
                (m.GetMetadata("TrustedKey") ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(FullPath).ToList(),
                m.GetMetadata("RequireSignature"))).ToList(),
            TrustedKeys = TrustedKeys.Select(k => FullPath(k.ItemSpec)).ToList(),
            CacheFilePath = useCache ? FullPath(CacheFile!) : null,
            CancellationToken = CancellationToken,
        });
        hashing.Dispose();
        findings.AddRange(result.Findings);
        VerifiedModels = [.. result.VerifiedBy.Select(v => new Microsoft.Build.Utilities.TaskItem(v.Key,
            new Dictionary<string, string> { ["KeyFingerprint"] = v.Value }))];
        Summarize(Core.Reporting.BuildSummary.ModelSignaturesVerified, result.Valid);
        Log.LogMessage(MessageImportance.Normal,
            $"MlBuildGuard model signatures: {result.Checked} model(s) checked, {result.Valid} valid, {result.Unchanged} unchanged since verified.");
    }
}
