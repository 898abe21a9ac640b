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
/// Streams a file through .NET's SHA-256 (<see cref="IncrementalHash"/>) with a pooled buffer; memory stays flat. The
/// same pass looks for private key material, so a secret among training inputs costs no second read.
/// </summary>
public static class Sha256File
{
    /// <summary>Large enough to keep syscalls rare, small enough to stay in cache.</summary>
    public const int BufferSize = 1 << 20;

    /// <summary>With a secret scanner, the hash and the scanner take turns on slices this large (they fit in a core's L2 cache).</summary>
    private const int ScanSlice = 128 << 10;

    public static FileDigest Compute(string path, CancellationToken cancellationToken = default) => Compute(path, null, cancellationToken);

    private static FileStream Open(string path) => new(path, new FileStreamOptions
    {
        Mode = FileMode.Open,
        Access = FileAccess.Read,
        Share = FileShare.Read | FileShare.Delete,
        BufferSize = 0,
        Options = FileOptions.SequentialScan,
    });

    public static FileDigest Compute(Stream stream, CancellationToken cancellationToken = default) => Compute(stream, null, cancellationToken);

    /// <summary>
    /// Hashes the file and gives the same bytes to <paramref name="secrets"/> (a <see cref="SecretScanner"/> for this file)
    /// in the same pass, so secret scanning costs no second read. When a scanner is given it also decides
    /// <see cref="FileDigest.HoldsPrivateKey"/> (its rule set includes the private-key rule); its matches are then
    /// <see cref="SecretScanner.Complete"/>'s. Without one, only the private-key header is looked for.
    /// </summary>
    public static FileDigest Compute(string path, SecretScanner? secrets, CancellationToken cancellationToken = default)
    {
        using var stream = Open(path);
        return Compute(stream, secrets, cancellationToken);
    }

    /// <inheritdoc cref="Compute(string, SecretScanner?, CancellationToken)"/>
    public static FileDigest Compute(Stream stream, SecretScanner? secrets, CancellationToken cancellationToken = default)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var keys = secrets is null ? new PrivateKeyDetector() : null;
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            long total = 0;
            int read;
            while ((read = stream.Read(buffer, 0, BufferSize)) > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (secrets is null)
                {
                    hash.AppendData(buffer, 0, read);
                    keys!.Append(buffer.AsSpan(0, read));
                }
                else
                {
                    // Slice by slice, so the scanner reads bytes the hash has just pulled into the core's cache.
                    for (var at = 0; at < read; at += ScanSlice)
                    {
                        var n = Math.Min(ScanSlice, read - at);
                        hash.AppendData(buffer, at, n);
                        secrets.Append(buffer.AsSpan(at, n));
                    }
                }

                total += read;
            }

            keys?.Complete();
            var holdsKey = keys?.Found ?? secrets!.Complete().Any(m => m.Kind == SecretKind.PrivateKey);
            return new FileDigest(hash.GetHashAndReset(), total, holdsKey);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
