using System.Security.Cryptography;
using System.Text;

namespace MlBuildGuard.Core.Signing;

/// <summary>One entry of the OMS <c>resources</c> list: a file (or a shard of one) and its lowercase hex digest.</summary>
public sealed record OmsResource(string Name, string Algorithm, string Digest);

/// <summary>The <c>serialization</c> object: how the resources were produced.</summary>
/// <param name="Method"><c>files</c> or <c>shards</c>.</param>
/// <param name="HashType">The content hash, <c>sha256</c>.</param>
/// <param name="AllowSymlinks">Whether links inside the model were followed.</param>
/// <param name="ShardSize">Shard size in bytes for <c>shards</c>; null for <c>files</c>.</param>
/// <param name="IgnorePaths">Model-relative paths that were left out, or null when the field is absent.</param>
public sealed record OmsSerialization(string Method, string HashType, bool AllowSymlinks, long? ShardSize, IReadOnlyList<string>? IgnorePaths);

/// <summary>The hashed content of a model: resources in their listed order and the serialization that produced them.</summary>
public sealed record OmsManifest(IReadOnlyList<OmsResource> Resources, OmsSerialization Serialization)
{
    /// <summary>SHA-256 over the raw resource digests concatenated in listed order (OMS root digest), lowercase hex.</summary>
    public string RootDigest => ComputeRootDigest(Resources);

    public static string ComputeRootDigest(IEnumerable<OmsResource> resources)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var resource in resources)
        {
            hash.AppendData(Convert.FromHexString(resource.Digest));
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}

/// <summary>Rules for OMS resource names and ignore paths: relative, '/'-separated, no '.'/'..' or empty segments.</summary>
public static class OmsNames
{
    /// <summary>Orders names by their UTF-8 bytes (code-point order), as the OMS spec requires.</summary>
    public static IComparer<string> Utf8Order { get; } = Comparer<string>.Create(CompareUtf8);

    public static int CompareUtf8(string? a, string? b)
    {
        if (a is null || b is null)
        {
            return a is null ? (b is null ? 0 : -1) : 1;
        }

        return Encoding.UTF8.GetBytes(a).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(b));
    }

    /// <summary>Whether <paramref name="name"/> is a safe model-relative path (the single-file name "." is allowed separately).</summary>
    public static bool IsSafeRelative(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('\\') || name.Contains('\0') || name.StartsWith('/') || name.EndsWith('/')
            || (name.Length >= 2 && name[1] == ':'))
        {
            return false;
        }

        foreach (var segment in name.Split('/'))
        {
            if (segment.Length == 0 || segment == "." || segment == "..")
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether <paramref name="relative"/> is <paramref name="ignore"/> itself or lies under it (component prefix).</summary>
    public static bool IsIgnoredBy(string relative, string ignore) =>
        relative == ignore || (relative.Length > ignore.Length && relative.StartsWith(ignore, StringComparison.Ordinal) && relative[ignore.Length] == '/');
}
