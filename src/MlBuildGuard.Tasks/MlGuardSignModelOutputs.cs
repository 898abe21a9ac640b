using MlBuildGuard.Core.Configuration;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Signing;
using Microsoft.Build.Framework;

namespace MlBuildGuard.Tasks;

/// <summary>
/// Signs each produced model (<c>@(MlModelOutput)</c> whose <c>Sign</c> metadata is not false) into <c>MODEL.sig</c>
/// (a folder <c>dir</c>: <c>dir.sig</c>) with the OMS key method. The key is the PEM file <c>$(MlGuardSigningKey)</c>, or
/// the PEM text in the environment variable <c>MLGUARD_SIGNING_KEY</c>; a passphrase comes only from
/// <c>MLGUARD_SIGNING_KEY_PASSWORD</c>. No key: MLG601, an error when <c>MlGuardRequireSignedOutputs</c> is true, a warning on
/// CI, a message elsewhere (SPEC §3). A key
/// that cannot sign: MLG605, naming the property's path or the variable, never the key. Signatures are written atomically.
/// </summary>
public sealed class MlGuardSignModelOutputs : MlGuardTask
{
    /// <summary>The environment variable that may hold the key's PEM text (see <see cref="SigningKeySource"/>).</summary>
    public const string KeyVariable = SigningKeySource.KeyVariable;

    /// <summary>The only place a passphrase is read from (SPEC §3).</summary>
    public const string PassphraseVariable = SigningKeySource.PassphraseVariable;

    /// <summary><c>@(MlModelOutput)</c>.</summary>
    public ITaskItem[] Outputs { get; set; } = [];

    /// <summary><c>$(MlGuardSigningKey)</c>: path to the PEM private key.</summary>
    public string? SigningKey { get; set; }

    /// <summary><c>$(MlGuardRequireSignedOutputs)</c>: without a key, MLG601 is an error.</summary>
    public string? RequireSignedOutputs { get; set; }

    /// <summary><c>$(ContinuousIntegrationBuild)</c>: without a key (and not required), MLG601 is a warning on CI, a message elsewhere.</summary>
    public string? ContinuousIntegrationBuild { get; set; }

    /// <summary>The signatures written by this run.</summary>
    [Output]
    public ITaskItem[] Signatures { get; set; } = [];

    protected override string GuardName => "model-output-signatures";

    protected override void Run(List<Finding> findings)
    {
        var models = Outputs.Where(o => !string.Equals(o.GetMetadata("Sign"), "false", StringComparison.OrdinalIgnoreCase))
            .Select(o => (Spec: o.ItemSpec, Path: FullPath(o.ItemSpec))).DistinctBy(m => m.Path, StringComparer.Ordinal).ToList();
        if (models.Count == 0)
        {
            return;
        }

        // A private key shipped inside a model output is exposed with it, signed or not (MLG606).
        var exposed = models.SelectMany(m => SignatureFindings.FilesHoldingPrivateKeys(m.Path)).ToList();
        findings.AddRange(exposed.Select(f => SignatureFindings.PrivateKeyInModel(Relative(f), new SourceLocation(f), Relative(f))));
        if (exposed.Count > 0)
        {
            return;
        }

        if (!SigningKeySource.IsConfigured(SigningKey))
        {
            var rule = LockModeParser.IsTrue(RequireSignedOutputs) ? RuleCatalog.NoSigningKeyRequired
                : LockModeParser.IsTrue(ContinuousIntegrationBuild) ? RuleCatalog.NoSigningKeyOnCi : RuleCatalog.NoSigningKey;
            findings.AddRange(models.Select(m => Finding.Create(rule, new SourceLocation(m.Path), Relative(m.Path), Relative(m.Path))));
            Summarize(Core.Reporting.BuildSummary.ModelsNotSigned, models.Count);
            return;
        }

        if (SigningKeySource.Load(SigningKey, FullPath, ProjectFile, out var problem) is not { } key)
        {
            findings.Add(problem!);
            return;
        }

        var written = new List<ITaskItem>();
        foreach (var (spec, path) in models)
        {
            CancellationToken.ThrowIfCancellationRequested();
            if (!File.Exists(path) && !Directory.Exists(path))
            {
                findings.Add(Finding.Create(RuleCatalog.ModelUnparsable, new SourceLocation(path), Relative(path), spec, "it does not exist"));
                continue;
            }

            string signature;
            try
            {
                using var hashing = HashingLog();
                signature = OmsSigner.SignToFile(path, key, new OmsSignOptions { Progress = hashing.Progress }, CancellationToken);
            }
            catch (ModelHashException e)
            {
                findings.Add(Finding.Create(RuleCatalog.ModelUnparsable, new SourceLocation(path), Relative(path), spec, $"it cannot be signed ({e.Message.TrimEnd('.')})"));
                continue;
            }

            written.Add(new Microsoft.Build.Utilities.TaskItem(signature));
            Log.LogMessage(MessageImportance.High, $"MlBuildGuard: signed '{spec}' with a {key.Curve} key into '{Relative(signature)}'.");
        }

        Signatures = [.. written];
        Summarize(Core.Reporting.BuildSummary.ModelsSigned, written.Count);
    }

    private string Relative(string path) =>
        Core.IO.PathSafety.IsUnder(path, ProjectDirectory) ? Path.GetRelativePath(ProjectDirectory, path).Replace('\\', '/') : path;
}
