namespace MlBuildGuard.Core.Signing;

/// <summary>Why a verification failed.</summary>
public enum OmsVerificationFailure
{
    /// <summary>The signature is valid and matches the model.</summary>
    None,

    /// <summary>The bundle or its payload is not valid OMS (JSON, fields, media/payload/predicate types, root digest, names).</summary>
    MalformedBundle,

    /// <summary>A well-formed bundle of a method this verifier does not handle (certificate, keyless Sigstore).</summary>
    UnsupportedMethod,

    /// <summary>The bundle names a different public key (hint mismatch, other curve).</summary>
    WrongKey,

    /// <summary>The ECDSA signature does not verify over the payload.</summary>
    BadSignature,

    /// <summary>The signature is valid but the model differs: see the extra, missing and changed file lists.</summary>
    ContentMismatch,

    /// <summary>The model could not be hashed (missing, unreadable, a link that is not allowed or leaves the folder).</summary>
    ModelUnreadable,
}

/// <summary>The outcome of <see cref="OmsVerifier"/>; <see cref="Statement"/> is set once the signature has verified.</summary>
public sealed record OmsVerificationResult(
    OmsVerificationFailure Failure,
    string Message,
    IReadOnlyList<string> ExtraFiles,
    IReadOnlyList<string> MissingFiles,
    IReadOnlyList<string> ChangedFiles,
    InTotoStatement? Statement)
{
    public bool IsValid => Failure == OmsVerificationFailure.None;

    internal static OmsVerificationResult Fail(OmsVerificationFailure failure, string message, InTotoStatement? statement = null) =>
        new(failure, message, [], [], [], statement);
}

/// <summary>Caller-side options of a verification.</summary>
public sealed record OmsVerifyOptions
{
    /// <summary>Counts the bytes hashed, for whoever shows progress; null for none.</summary>
    public Hashing.HashProgress? Progress { get; init; }

    /// <summary>Extra model-relative paths to leave out, on top of the bundle's own <c>ignore_paths</c>.</summary>
    public IReadOnlyList<string> IgnorePaths { get; init; } = [];

    /// <summary>Leave out the git paths at the top of the model (as the reference implementation does by default).</summary>
    public bool IgnoreGitPaths { get; init; } = true;

    /// <summary>The signature file; left out of the model when it lies inside it.</summary>
    public string? SignaturePath { get; init; }
}

/// <summary>
/// Verifies an OMS key-method bundle against a model and a public key. Never re-sorts the bundle's resources (the root
/// digest is recomputed in listed order), honours the bundle's serialization and ignore paths, and turns every malformed
/// input into a result instead of an exception.
/// </summary>
public static class OmsVerifier
{
    /// <summary>Reads the signature file and verifies; an unreadable signature file is a <see cref="OmsVerificationFailure.MalformedBundle"/>.</summary>
    public static OmsVerificationResult VerifyFile(string modelPath, string signaturePath, OmsPublicKey publicKey, OmsVerifyOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(signaturePath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return OmsVerificationResult.Fail(OmsVerificationFailure.MalformedBundle, $"Cannot read the signature '{signaturePath}': {e.Message}");
        }

        return Verify(modelPath, bytes, publicKey, (options ?? new OmsVerifyOptions()) with { SignaturePath = signaturePath }, cancellationToken);
    }

    /// <exception cref="ArgumentException">A caller ignore path is not a relative path inside the model.</exception>
    public static OmsVerificationResult Verify(string modelPath, ReadOnlySpan<byte> bundleJson, OmsPublicKey publicKey, OmsVerifyOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        options ??= new OmsVerifyOptions();

        SigstoreBundle bundle;
        try
        {
            bundle = SigstoreBundle.Parse(bundleJson);
        }
        catch (OmsFormatException e)
        {
            return OmsVerificationResult.Fail(OmsVerificationFailure.MalformedBundle, e.Message);
        }

        if (bundle.MaterialKind != BundleMaterialKind.PublicKey)
        {
            return OmsVerificationResult.Fail(OmsVerificationFailure.UnsupportedMethod,
                $"The bundle is signed with the {(bundle.MaterialKind == BundleMaterialKind.CertificateChain ? "certificate" : "Sigstore (keyless)")} method, not with a key.");
        }

        if (bundle.Signatures.Count != 1)
        {
            return OmsVerificationResult.Fail(OmsVerificationFailure.MalformedBundle, $"Expected exactly one signature, found {bundle.Signatures.Count}.");
        }

        if (bundle.PublicKeyHint is { Length: > 0 } hint && !string.Equals(hint, publicKey.Hint, StringComparison.OrdinalIgnoreCase))
        {
            return OmsVerificationResult.Fail(OmsVerificationFailure.WrongKey,
                "The bundle was signed with a different public key (its key hint does not match the given key).");
        }

        if (bundle.LegacyPublicKeyPem is { } legacyPem)
        {
            OmsPublicKey legacy;
            try
            {
                legacy = OmsPublicKey.FromPem(legacyPem);
            }
            catch (OmsKeyException e)
            {
                return OmsVerificationResult.Fail(OmsVerificationFailure.MalformedBundle, "The bundle's public key is unusable: " + e.Message);
            }

            if (!legacy.SameKeyAs(publicKey))
            {
                return OmsVerificationResult.Fail(OmsVerificationFailure.WrongKey, legacy.Curve == publicKey.Curve
                    ? "The bundle was signed with a different public key."
                    : $"The bundle was signed with a {legacy.Curve} key, the given key is {publicKey.Curve}.");
            }
        }

        if (!publicKey.VerifyDer(Dsse.Pae(bundle.PayloadType, bundle.Payload), bundle.Signatures[0].Signature))
        {
            return OmsVerificationResult.Fail(OmsVerificationFailure.BadSignature,
                $"The signature does not verify with the given {publicKey.Curve} key.");
        }

        if (bundle.PayloadType != OmsConstants.InTotoPayloadType)
        {
            return OmsVerificationResult.Fail(OmsVerificationFailure.MalformedBundle,
                $"Expected DSSE payload type {OmsConstants.InTotoPayloadType}, got '{bundle.PayloadType}'.");
        }

        InTotoStatement statement;
        try
        {
            statement = InTotoStatement.Parse(bundle.Payload);
        }
        catch (OmsFormatException e)
        {
            return OmsVerificationResult.Fail(OmsVerificationFailure.MalformedBundle, e.Message);
        }

        var listedRoot = OmsManifest.ComputeRootDigest(statement.Manifest.Resources);
        if (listedRoot != statement.RootDigest)
        {
            return OmsVerificationResult.Fail(OmsVerificationFailure.MalformedBundle,
                $"The manifest is inconsistent: the subject digest is {statement.RootDigest}, the listed resources hash to {listedRoot}.", statement);
        }

        var serialization = statement.Manifest.Serialization;
        var ignores = WithSignaturePath(modelPath, [.. options.IgnorePaths, .. serialization.IgnorePaths ?? []], options.SignaturePath);
        OmsManifest local;
        try
        {
            local = ModelHasher.Hash(modelPath, new ModelHashOptions
            {
                IgnorePaths = ignores,
                IgnoreGitPaths = options.IgnoreGitPaths,
                AllowSymlinks = serialization.AllowSymlinks,
                Progress = options.Progress,
            ShardSize = serialization.ShardSize,
            }, cancellationToken);
        }
        catch (ModelHashException e)
        {
            return OmsVerificationResult.Fail(OmsVerificationFailure.ModelUnreadable, e.Message, statement);
        }

        return Compare(modelPath, statement, local);
    }

    private static OmsVerificationResult Compare(string modelPath, InTotoStatement statement, OmsManifest local)
    {
        var singleFile = File.Exists(modelPath) && !Directory.Exists(modelPath);
        var fileName = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(modelPath)));
        var actual = new Dictionary<string, OmsResource>(StringComparer.Ordinal);
        foreach (var resource in local.Resources)
        {
            actual[resource.Name] = resource;
        }

        var missing = new List<string>();
        var changed = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var expected in statement.Manifest.Resources)
        {
            // A single-file model may be named "." (reference implementation) or by its file name (OMS spec).
            var name = singleFile && (expected.Name == fileName || expected.Name.StartsWith(fileName + ":", StringComparison.Ordinal))
                ? "." + expected.Name[fileName.Length..]
                : expected.Name;
            seen.Add(name);
            if (!actual.TryGetValue(name, out var found))
            {
                missing.Add(expected.Name);
            }
            else if (found.Algorithm != expected.Algorithm || found.Digest != expected.Digest)
            {
                changed.Add(expected.Name);
            }
        }

        var extra = local.Resources.Select(r => r.Name).Where(n => !seen.Contains(n)).ToList();
        if (missing.Count == 0 && changed.Count == 0 && extra.Count == 0)
        {
            return new OmsVerificationResult(OmsVerificationFailure.None, "The signature is valid and matches the model.", [], [], [], statement);
        }

        // A single file's resource is "." (or its shards ".:0:1048576"): name the file itself in the message.
        string Shown(string name) => singleFile && (name == "." || name.StartsWith(".:", StringComparison.Ordinal)) ? fileName + name[1..] : name;
        var parts = new List<string>();
        if (singleFile && extra.Count == 0 && missing.Count == 0 && changed.All(c => Shown(c).StartsWith(fileName, StringComparison.Ordinal)))
        {
            parts.Add($"the content of {fileName} changed since it was signed");
        }
        else
        {
            if (extra.Count > 0)
            {
                parts.Add("extra files: " + string.Join(", ", extra.Select(Shown)));
            }

            if (missing.Count > 0)
            {
                parts.Add("missing files: " + string.Join(", ", missing.Select(Shown)));
            }

            if (changed.Count > 0)
            {
                parts.Add("changed files: " + string.Join(", ", changed.Select(Shown)));
            }
        }

        return new OmsVerificationResult(OmsVerificationFailure.ContentMismatch, "The model does not match its signature (" + string.Join("; ", parts) + ").",
            extra, missing, changed, statement);
    }

    /// <summary>Adds the signature file to the ignore list when it lies inside the model folder.</summary>
    internal static IReadOnlyList<string> WithSignaturePath(string modelPath, IReadOnlyList<string> ignores, string? signaturePath)
    {
        if (signaturePath is null || !Directory.Exists(modelPath))
        {
            return ignores;
        }

        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(modelPath));
        var signature = Path.GetFullPath(signaturePath);
        if (!IO.PathSafety.IsUnder(signature, root))
        {
            return ignores;
        }

        var relative = Path.GetRelativePath(root, signature).Replace(Path.DirectorySeparatorChar, '/');
        return [.. ignores, relative];
    }
}
