namespace MlBuildGuard.Core.Signing;

/// <summary>What to leave out of a signature and how to name the model.</summary>
public sealed record OmsSignOptions
{
    /// <summary>Counts the bytes hashed, for whoever shows progress; null for none.</summary>
    public Hashing.HashProgress? Progress { get; init; }

    /// <summary>Model-relative paths ('/' separated) not signed; recorded in the bundle's <c>ignore_paths</c>.</summary>
    public IReadOnlyList<string> IgnorePaths { get; init; } = [];

    /// <summary>Leave out <c>.git</c>, <c>.gitattributes</c>, <c>.github</c>, <c>.gitignore</c> at the top of the model.</summary>
    public bool IgnoreGitPaths { get; init; } = true;

    /// <summary>Where the bundle will be written; left out of the model (and recorded as ignored) when it lies inside it.</summary>
    public string? SignaturePath { get; init; }

    /// <summary>The subject name; by default the model's file or folder name.</summary>
    public string? SubjectName { get; init; }

    /// <summary>
    /// Null (the default) signs with the <c>files</c> method: one SHA-256 per file, so one large file is hashed on one core.
    /// A byte count signs with the <c>shards</c> method of the reference implementation: every file is cut into shards of
    /// that size, hashed on all cores, which makes signing one large file about N times faster on N cores. Bundles made
    /// this way verify here and with model_signing, but name each resource <c>path:start:end</c> with algorithm
    /// <c>sha256-sharded-N</c>, which the OMS JSON schema does not list (research/model-signing.md), so it is opt-in.
    /// </summary>
    public long? ShardSize { get; init; }
}

/// <summary>Signs a model with the OMS key method: hash, in-toto statement, DSSE PAE, ECDSA (DER), Sigstore bundle.</summary>
public static class OmsSigner
{
    /// <summary>Default signature location: <c>m.onnx</c> → <c>m.onnx.sig</c>; folder <c>dir</c> → <c>dir.sig</c> beside it.</summary>
    public static string DefaultSignaturePath(string modelPath) =>
        Path.TrimEndingDirectorySeparator(Path.GetFullPath(modelPath)) + ".sig";

    /// <exception cref="ModelHashException">The model cannot be hashed or is empty.</exception>
    public static SigstoreBundle Sign(string modelPath, OmsPrivateKey key, OmsSignOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        options ??= new OmsSignOptions();
        var ignores = OmsVerifier.WithSignaturePath(modelPath, options.IgnorePaths, options.SignaturePath);
        var manifest = ModelHasher.Hash(modelPath, new ModelHashOptions
        {
            IgnorePaths = ignores,
            IgnoreGitPaths = options.IgnoreGitPaths,
            AllowSymlinks = false,
            Progress = options.Progress,
            ShardSize = options.ShardSize,
        }, cancellationToken);
        if (manifest.Resources.Count == 0)
        {
            throw new ModelHashException($"The model '{modelPath}' holds no files to sign.");
        }

        var subject = options.SubjectName ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(modelPath)));
        var payload = InTotoStatement.Create(subject, manifest).ToJsonBytes();
        var signature = key.SignDer(Dsse.Pae(OmsConstants.InTotoPayloadType, payload));
        return SigstoreBundle.ForKey(key.PublicKey.Hint, payload, signature);
    }

    /// <summary>Signs and writes the bundle to <see cref="OmsSignOptions.SignaturePath"/> (or the default path); returns that path.</summary>
    public static string SignToFile(string modelPath, OmsPrivateKey key, OmsSignOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new OmsSignOptions();
        var path = options.SignaturePath ?? DefaultSignaturePath(modelPath);
        var bundle = Sign(modelPath, key, options with { SignaturePath = path }, cancellationToken);
        IO.AtomicFile.WriteAllBytes(path, bundle.ToJsonBytes());
        return path;
    }
}
