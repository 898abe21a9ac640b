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
/// trusted keys, MLG606 a trusted-key file that holds a private key. The mapping is <see cref="SignatureFindings"/>'s.
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

    protected override string GuardName => "model-signatures";

    protected override void Run(List<Finding> findings)
    {
        var keys = new Dictionary<string, OmsPublicKey?>(StringComparer.Ordinal);
        var global = TrustedKeys.Select(k => FullPath(k.ItemSpec)).Distinct(StringComparer.Ordinal).ToList();
        var useCache = !LockModeParser.IsTrue(ContinuousIntegrationBuild) && !string.IsNullOrEmpty(CacheFile);
        var cache = useCache ? SignatureVerdictCache.Load(FullPath(CacheFile!)) : new Dictionary<string, string>(StringComparer.Ordinal);
        var verified = new Dictionary<string, string>(StringComparer.Ordinal);
        int checkedCount = 0, valid = 0, unchanged = 0;
        foreach (var item in Models)
        {
            CancellationToken.ThrowIfCancellationRequested();
            var model = FullPath(item.ItemSpec);
            var keyPaths = global.Concat((item.GetMetadata("TrustedKey") ?? "")
                    .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(FullPath))
                .Distinct(StringComparer.Ordinal).ToList();
            var requireText = item.GetMetadata("RequireSignature");
            if (!string.IsNullOrWhiteSpace(requireText) && !LockModeParser.TryParseBool(requireText, out _))
            {
                findings.Add(Finding.Create(RuleCatalog.InvalidConfiguration, new SourceLocation(ProjectFile), null,
                    $"the RequireSignature metadata of MlModel '{item.ItemSpec}' is '{requireText}'; use true or false"));
            }

            var required = LockModeParser.IsTrue(requireText);
            if (keyPaths.Count == 0 && !required)
            {
                continue;
            }

            if (!File.Exists(model) && !Directory.Exists(model))
            {
                continue; // the model scan reports it (MLG303)
            }

            checkedCount++;
            var location = new SourceLocation(model);
            var subject = Relative(model);
            var display = item.ItemSpec;
            // Keys first: a trusted-key file that cannot be one (MLG606, MLG002) is reported whatever the model's state.
            var usable = new List<(string Path, OmsPublicKey Key)>();
            foreach (var path in keyPaths)
            {
                if (!keys.TryGetValue(path, out var key))
                {
                    key = LoadKey(path, findings);
                    keys[path] = key;
                }

                if (key is not null)
                {
                    usable.Add((path, key));
                }
            }

            var signature = OmsSigner.DefaultSignaturePath(model);
            if (!File.Exists(signature))
            {
                findings.Add(SignatureFindings.Missing(display, Relative(signature), keyPaths.Count > 0
                    ? "a trusted key is configured for it (MlTrustedKey or TrustedKey), so it must be signed"
                    : "its RequireSignature metadata is true", location, subject));
                continue;
            }

            var keyNames = string.Join(", ", keyPaths.Select(Relative));
            if (usable.Count == 0)
            {
                if (keyPaths.Count == 0)
                {
                    findings.Add(SignatureFindings.Untrusted(display, Relative(signature), "(none)",
                        "its RequireSignature metadata is true but no trusted key is configured (add an MlTrustedKey item or TrustedKey metadata).",
                        location, subject));
                }

                continue; // every configured key is unusable: reported once per key file
            }

            var fingerprint = useCache ? SignatureVerdictCache.Fingerprint(model, signature, usable.Select(k => k.Key.Hint)) : null;
            if (fingerprint is not null && cache.TryGetValue(model, out var known) && known == fingerprint)
            {
                verified[model] = fingerprint;
                valid++;
                unchanged++;
                continue;
            }

            var result = SignatureFindings.Decisive(usable.Select(k =>
                OmsVerifier.VerifyFile(model, signature, k.Key, cancellationToken: CancellationToken)))!;
            if (SignatureFindings.FromVerification(result, display, Relative(signature), keyNames, location, subject) is { } finding)
            {
                findings.Add(finding);
            }
            else
            {
                valid++;
                if (fingerprint is not null)
                {
                    verified[model] = fingerprint;
                }
            }
        }

        if (useCache && !(verified.Count == cache.Count && verified.All(v => cache.TryGetValue(v.Key, out var f) && f == v.Value)))
        {
            SignatureVerdictCache.Save(FullPath(CacheFile!), verified);
        }

        Log.LogMessage(MessageImportance.Normal,
            $"MlBuildGuard model signatures: {checkedCount} model(s) checked, {valid} valid, {unchanged} unchanged since verified.");
    }

    /// <summary>A trusted key, or null after reporting why it cannot be one (MLG606 for a private key, MLG002 otherwise).</summary>
    private OmsPublicKey? LoadKey(string path, List<Finding> findings)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            findings.Add(Finding.Create(RuleCatalog.InvalidConfiguration, new SourceLocation(ProjectFile), null,
                $"the trusted key '{Relative(path)}' cannot be read: {SignatureFindings.KeyProblem(e)}"));
            return null;
        }

        if (SignatureFindings.HoldsPrivateKey(text))
        {
            findings.Add(SignatureFindings.PrivateKeyInTrustedKeyFile(Relative(path), new SourceLocation(path), Relative(path)));
            return null;
        }

        try
        {
            return OmsPublicKey.FromPem(text);
        }
        catch (OmsKeyException e)
        {
            findings.Add(Finding.Create(RuleCatalog.InvalidConfiguration, new SourceLocation(ProjectFile), null,
                $"the trusted key '{Relative(path)}' cannot be used: {e.Message}"));
            return null;
        }
    }

    private string Relative(string path) =>
        Core.IO.PathSafety.IsUnder(path, ProjectDirectory) ? Path.GetRelativePath(ProjectDirectory, path).Replace('\\', '/') : path;
}
