namespace MlBuildGuard.Core.Signing;

/// <summary>Fixed strings of OpenSSF Model Signing (OMS) v1.0 and the layers it wraps.</summary>
public static class OmsConstants
{
    public const string BundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json";
    public const string InTotoPayloadType = "application/vnd.in-toto+json";
    public const string StatementType = "https://in-toto.io/Statement/v1";
    public const string PredicateType = "https://model_signing/signature/v1.0";
    public const string FilesMethod = "files";
    public const string ShardsMethod = "shards";
    public const string Sha256 = "sha256";

    /// <summary>Shard size the reference implementation uses by default (1 GB).</summary>
    public const long DefaultShardSize = 1_000_000_000;

    /// <summary>Ignored at the top level of every model folder unless the caller opts out.</summary>
    public static IReadOnlyList<string> GitPaths { get; } = [".git", ".gitattributes", ".github", ".gitignore"];

    /// <summary>The digest algorithm name a resource carries for the given method.</summary>
    public static string ResourceAlgorithm(long? shardSize) =>
        shardSize is { } size ? $"sha256-sharded-{size.ToString(System.Globalization.CultureInfo.InvariantCulture)}" : Sha256;
}
