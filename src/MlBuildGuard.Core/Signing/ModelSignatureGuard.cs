using MlBuildGuard.Core.Configuration;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.IO;

namespace MlBuildGuard.Core.Signing;

/// <summary>One consumed model (<c>MlModel</c>) as the build declares it.</summary>
/// <param name="ItemSpec">The item as written (for messages).</param>
/// <param name="FullPath">The model file or folder.</param>
/// <param name="TrustedKeys">Its <c>TrustedKey</c> metadata, full paths.</param>
/// <param name="RequireSignature">Its <c>RequireSignature</c> metadata as written (empty when not set).</param>
public sealed record ConsumedModel(string ItemSpec, string FullPath, IReadOnlyList<string> TrustedKeys, string? RequireSignature);

public sealed class ModelSignatureRequest
{
    public required string ProjectDirectory { get; init; }

    /// <summary>Counts the bytes hashed, for whoever shows progress; null for none.</summary>
    public Hashing.HashProgress? Progress { get; init; }

    /// <summary>The project file; configuration findings point here.</summary>
    public required string ProjectFile { get; init; }

    public IReadOnlyList<ConsumedModel> Models { get; init; } = [];

    /// <summary><c>MlTrustedKey</c> items, full paths: trusted for every model.</summary>
    public IReadOnlyList<string> TrustedKeys { get; init; } = [];

    /// <summary>Valid verdicts by file stamps and keys under <c>obj/</c>; null to verify every model in full (CI).</summary>
    public string? CacheFilePath { get; init; }

    public CancellationToken CancellationToken { get; init; }
}

public sealed class ModelSignatureResult
{
    public List<Finding> Findings { get; } = new();

    public int Checked { get; set; }

    public int Valid { get; set; }

    public int Unchanged { get; set; }

    /// <summary>Each model whose signature held (full path), with the OMS key hint of the trusted key that signed it.</summary>
    public Dictionary<string, string> VerifiedBy { get; } = new(StringComparer.Ordinal);
}

/// <summary>
/// Verifies the OMS signatures of the models a build consumes (SPEC MLG602–MLG604, MLG606 for a private key among the
/// trusted keys). A model is checked when a trusted key applies to it (<c>MlTrustedKey</c>, or its <c>TrustedKey</c>
/// metadata) or its <c>RequireSignature</c> metadata is true; its signature is <c>MODEL.sig</c> beside it (a folder
/// <c>dir</c>: <c>dir.sig</c>). A verdict whose files and keys have not moved since it was valid is not computed again.
/// The mapping of verification results to findings is <see cref="SignatureFindings"/>'s.
/// </summary>
public static class ModelSignatureGuard
{
    public static ModelSignatureResult Run(ModelSignatureRequest request)
    {
        var result = new ModelSignatureResult();
        var keys = new Dictionary<string, OmsPublicKey?>(StringComparer.Ordinal);
        var global = request.TrustedKeys.Distinct(StringComparer.Ordinal).ToList();
        var useCache = request.CacheFilePath is not null;
        var cache = useCache ? SignatureVerdictCache.Load(request.CacheFilePath!) : new Dictionary<string, string>(StringComparer.Ordinal);
        var verified = new Dictionary<string, string>(StringComparer.Ordinal);
        string Relative(string path) => PathSafety.IsUnder(path, request.ProjectDirectory)
            ? Path.GetRelativePath(request.ProjectDirectory, path).Replace('\\', '/') : path;

        foreach (var item in request.Models)
        {
            request.CancellationToken.ThrowIfCancellationRequested();
            var model = item.FullPath;
            var keyPaths = global.Concat(item.TrustedKeys).Distinct(StringComparer.Ordinal).ToList();
            if (!string.IsNullOrWhiteSpace(item.RequireSignature) && !LockModeParser.TryParseBool(item.RequireSignature, out _))
            {
                result.Findings.Add(Finding.Create(RuleCatalog.InvalidConfiguration, new SourceLocation(request.ProjectFile), null,
                    $"the RequireSignature metadata of MlModel '{item.ItemSpec}' is '{item.RequireSignature}'; use true or false"));
            }

            var required = LockModeParser.IsTrue(item.RequireSignature);
            if ((keyPaths.Count == 0 && !required) || (!File.Exists(model) && !Directory.Exists(model)))
            {
                continue; // nothing to check, or the model scan reports the missing model (MLG303)
            }

            result.Checked++;
            var location = new SourceLocation(model);
            var subject = Relative(model);
            // Keys first: a trusted-key file that cannot be one (MLG606, MLG002) is reported whatever the model's state.
            var usable = new List<OmsPublicKey>();
            foreach (var path in keyPaths)
            {
                if (!keys.TryGetValue(path, out var key))
                {
                    key = LoadKey(path, request.ProjectFile, Relative, result.Findings);
                    keys[path] = key;
                }

                if (key is not null)
                {
                    usable.Add(key);
                }
            }

            var signature = OmsSigner.DefaultSignaturePath(model);
            if (!File.Exists(signature))
            {
                result.Findings.Add(SignatureFindings.Missing(item.ItemSpec, Relative(signature), keyPaths.Count > 0
                    ? "a trusted key is configured for it (MlTrustedKey or TrustedKey), so it must be signed"
                    : "its RequireSignature metadata is true", location, subject));
                continue;
            }

            if (usable.Count == 0)
            {
                if (keyPaths.Count == 0)
                {
                    result.Findings.Add(SignatureFindings.Untrusted(item.ItemSpec, Relative(signature), "(none)",
                        "its RequireSignature metadata is true but no trusted key is configured (add an MlTrustedKey item or TrustedKey metadata).",
                        location, subject));
                }

                continue; // every configured key is unusable: reported once per key file
            }

            var fingerprint = useCache ? SignatureVerdictCache.Fingerprint(model, signature, usable.Select(k => k.Hint)) : null;
            // A cached verdict is "fingerprint|hint of the key that signed": the hint is recorded in the provenance.
            // The hint must be one of this model's trusted keys, or the entry is treated as missing (docs/threat-model.md).
            if (fingerprint is not null && cache.TryGetValue(model, out var known) && known.StartsWith(fingerprint + "|", StringComparison.Ordinal)
                && usable.Any(k => k.Hint == known[(fingerprint.Length + 1)..]))
            {
                verified[model] = known;
                result.VerifiedBy[model] = known[(fingerprint.Length + 1)..];
                result.Valid++;
                result.Unchanged++;
                continue;
            }

            var attempts = usable.Select(k => (Key: k, Result: OmsVerifier.VerifyFile(model, signature, k,
                new OmsVerifyOptions { Progress = request.Progress }, request.CancellationToken))).ToList();
            var verdict = SignatureFindings.Decisive(attempts.Select(a => a.Result))!;
            var keyNames = string.Join(", ", keyPaths.Select(Relative));
            if (SignatureFindings.FromVerification(verdict, item.ItemSpec, Relative(signature), keyNames, location, subject) is { } finding)
            {
                result.Findings.Add(finding);
            }
            else
            {
                result.Valid++;
                var signer = attempts.First(a => a.Result.IsValid).Key.Hint;
                result.VerifiedBy[model] = signer;
                if (fingerprint is not null)
                {
                    verified[model] = fingerprint + "|" + signer;
                }
            }
        }

        if (useCache && !(verified.Count == cache.Count && verified.All(v => cache.TryGetValue(v.Key, out var f) && f == v.Value)))
        {
            SignatureVerdictCache.Save(request.CacheFilePath!, verified);
        }

        return result;
    }

    /// <summary>A trusted key, or null after reporting why it cannot be one (MLG606 for a private key, MLG002 otherwise).</summary>
    private static OmsPublicKey? LoadKey(string path, string projectFile, Func<string, string> relative, List<Finding> findings)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            findings.Add(Finding.Create(RuleCatalog.InvalidConfiguration, new SourceLocation(projectFile), null,
                $"the trusted key '{relative(path)}' cannot be read: {SignatureFindings.KeyProblem(e)}"));
            return null;
        }

        if (SignatureFindings.HoldsPrivateKey(text))
        {
            findings.Add(SignatureFindings.PrivateKeyInTrustedKeyFile(relative(path), new SourceLocation(path), relative(path)));
            return null;
        }

        try
        {
            return OmsPublicKey.FromPem(text);
        }
        catch (OmsKeyException e)
        {
            findings.Add(Finding.Create(RuleCatalog.InvalidConfiguration, new SourceLocation(projectFile), null,
                $"the trusted key '{relative(path)}' cannot be used: {e.Message}"));
            return null;
        }
    }
}
