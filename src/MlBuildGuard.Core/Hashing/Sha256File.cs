using System.Buffers;
using System.Security.Cryptography;
using MlBuildGuard.Core.Secrets;

namespace MlBuildGuard.Core.Hashing;

/// <summary>
/// The SHA-256 of a file's bytes, how many bytes were hashed, and whether those bytes hold a PEM private key block
/// (noticed in the same pass; see <see cref="PrivateKeyDetector"/>).
/// </summary>
public readonly record struct FileDigest(byte[] Sha256, long Size, bool HoldsPrivateKey = false)
{
    public string Hex => Convert.ToHexStringLower(Sha256);
}

/// <summary>
/// Streams a file through .NET's SHA-256 with a pooled buffer; memory stays flat. The same pass looks for private key
/// material, or runs a whole <see cref="SecretScanner"/>, so a secret among training inputs costs no second read. Files
/// are read with positioned reads on a bare handle; a <see cref="Stream"/> (a reader that drives its own reads) goes
/// through <see cref="DigestingStream"/>, which hands its bytes on the same way.
/// </summary>
public static class Sha256File
{
    /// <summary>Large enough to keep syscalls rare, small enough to stay in cache.</summary>
    public const int BufferSize = 1 << 20;

    public static FileDigest Compute(string path, CancellationToken cancellationToken = default) => Pass(path, null, detectKeys: true, null, cancellationToken);

    /// <summary>Hashes the file, counting its bytes into <paramref name="progress"/> as they are read.</summary>
    public static FileDigest Compute(string path, HashProgress? progress, CancellationToken cancellationToken = default) =>
        Pass(path, null, detectKeys: true, progress, cancellationToken);

    /// <summary>
    /// Hashes the file and gives the same bytes to <paramref name="secrets"/> (a <see cref="SecretScanner"/> for this file)
    /// in the same pass. When a scanner is given it also decides <see cref="FileDigest.HoldsPrivateKey"/> (its rule set
    /// includes the private-key rule); its matches are then <see cref="SecretScanner.Complete"/>'s. Without one, only the
    /// private-key header is looked for.
    /// </summary>
    public static FileDigest Compute(string path, SecretScanner? secrets, CancellationToken cancellationToken = default) =>
        Pass(path, secrets, detectKeys: secrets is null, null, cancellationToken);

    /// <summary>
    /// The SHA-256 alone (<see cref="FileDigest.HoldsPrivateKey"/> is not decided), for callers that only print or compare
    /// digests (<c>mlguard hash</c>): no private-key search over every byte (about a third of the CPU time of hashing many
    /// small files, docs/benchmarks.md).
    /// </summary>
    public static FileDigest ComputeDigestOnly(string path, HashProgress? progress = null, CancellationToken cancellationToken = default) =>
        Pass(path, null, detectKeys: false, progress, cancellationToken);

    /// <summary>
    /// One pass over a file with positioned reads on a bare handle (no stream): every path-based digest takes it, so a
    /// pass that also scans differs from one that only hashes by the scanner and nothing else.
    /// </summary>
    private static FileDigest Pass(string path, SecretScanner? secrets, bool detectKeys, HashProgress? progress, CancellationToken cancellationToken)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, FileOptions.SequentialScan);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var keys = detectKeys ? new PrivateKeyDetector() : null;
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            long offset = 0;
            int read;
            while ((read = RandomAccess.Read(handle, buffer.AsSpan(0, BufferSize), offset)) > 0)
            {
                DigestingStream.Digest(buffer.AsSpan(0, read), hash, secrets, keys);
                offset += read;
                progress?.Add(read);
                cancellationToken.ThrowIfCancellationRequested();
            }

            return new FileDigest(hash.GetHashAndReset(), offset, DigestingStream.HoldsPrivateKey(secrets, keys));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public static FileDigest Compute(Stream stream, CancellationToken cancellationToken = default) => Compute(stream, null, cancellationToken);

    public static FileDigest Compute(Stream stream, SecretScanner? secrets, CancellationToken cancellationToken = default)
    {
        using var digesting = new DigestingStream(stream, secrets, leaveOpen: true);
        return digesting.Finish(cancellationToken);
    }

    /// <summary>Opens a file for one sequential pass (shared with writers' deletes, as the hasher opens files).</summary>
    public static FileStream OpenSequential(string path) => new(path, new FileStreamOptions
    {
        Mode = FileMode.Open,
        Access = FileAccess.Read,
        Share = FileShare.Read | FileShare.Delete,
        BufferSize = 0,
        Options = FileOptions.SequentialScan,
    });
}
