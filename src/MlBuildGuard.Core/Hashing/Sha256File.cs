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
/// Streams a file through .NET's SHA-256 with a pooled buffer (<see cref="DigestingStream"/>); memory stays flat. The same
/// pass looks for private key material, or runs a whole <see cref="SecretScanner"/>, so a secret among training inputs
/// costs no second read.
/// </summary>
public static class Sha256File
{
    /// <summary>Large enough to keep syscalls rare, small enough to stay in cache.</summary>
    public const int BufferSize = 1 << 20;

    public static FileDigest Compute(string path, CancellationToken cancellationToken = default) => Compute(path, (SecretScanner?)null, cancellationToken);

    /// <summary>Hashes the file, counting its bytes into <paramref name="progress"/> as they are read.</summary>
    public static FileDigest Compute(string path, HashProgress? progress, CancellationToken cancellationToken = default)
    {
        using var stream = OpenSequential(path);
        using var digesting = new DigestingStream(stream, null, leaveOpen: true) { Progress = progress };
        return digesting.Finish(cancellationToken);
    }

    /// <summary>
    /// Hashes the file and gives the same bytes to <paramref name="secrets"/> (a <see cref="SecretScanner"/> for this file)
    /// in the same pass. When a scanner is given it also decides <see cref="FileDigest.HoldsPrivateKey"/> (its rule set
    /// includes the private-key rule); its matches are then <see cref="SecretScanner.Complete"/>'s. Without one, only the
    /// private-key header is looked for.
    /// </summary>
    public static FileDigest Compute(string path, SecretScanner? secrets, CancellationToken cancellationToken = default)
    {
        using var stream = OpenSequential(path);
        return Compute(stream, secrets, cancellationToken);
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
