using System.Buffers;
using System.Security.Cryptography;
using MlBuildGuard.Core.Secrets;

namespace MlBuildGuard.Core.Hashing;

/// <summary>
/// A read-only pass-through stream that hashes (SHA-256) every byte read through it and shows it to a secret scanner (or,
/// without one, to the private-key detector). A reader that drives its own reads (a CSV parser) validates a file in the
/// same pass that hashes it: wrap the file in this stream, let the reader read, then <see cref="Finish"/> hashes whatever
/// the reader left unread.
/// </summary>
internal sealed class DigestingStream(Stream inner, SecretScanner? secrets = null, bool leaveOpen = false) : Models.Containers.ReadOnlyStream
{
    /// <summary>With a secret scanner, the hash and the scanner take turns on slices this large (they fit in a core's L2 cache).</summary>
    private const int ScanSlice = 128 << 10;

    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly PrivateKeyDetector? _keys = secrets is null ? new PrivateKeyDetector() : null;
    private long _total;
    private FileDigest? _digest;

    public override long Length => inner.Length;

    public override long Position
    {
        get => _total;
        set => throw new NotSupportedException();
    }

    /// <summary>Counts the bytes hashed, for a progress display; null for none.</summary>
    public HashProgress? Progress { get; init; }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var read = inner.Read(buffer);
        if (read > 0)
        {
            Digest(buffer[..read], _hash, secrets, _keys);
            _total += read;
            Progress?.Add(read);
        }

        return read;
    }

    /// <summary>
    /// Hashes <paramref name="chunk"/> and shows it to the scanner, or else to the private-key detector (when there is
    /// one): the one place the hashing pass decides what sees its bytes.
    /// </summary>
    internal static void Digest(ReadOnlySpan<byte> chunk, IncrementalHash hash, SecretScanner? secrets, PrivateKeyDetector? keys)
    {
        if (secrets is null)
        {
            hash.AppendData(chunk);
            keys?.Append(chunk);
            return;
        }

        // Slice by slice, so the scanner reads bytes the hash has just pulled into the core's cache.
        for (var at = 0; at < chunk.Length; at += ScanSlice)
        {
            var slice = chunk.Slice(at, Math.Min(ScanSlice, chunk.Length - at));
            hash.AppendData(slice);
            secrets.Append(slice);
        }
    }

    /// <summary>
    /// Ends the pass for <see cref="FileDigest.HoldsPrivateKey"/>: the scanner's private-key matches when a scanner saw the
    /// bytes, else the detector's verdict; false when neither looked.
    /// </summary>
    internal static bool HoldsPrivateKey(SecretScanner? secrets, PrivateKeyDetector? keys)
    {
        if (secrets is not null)
        {
            return secrets.Complete().Any(m => m.Kind == SecretKind.PrivateKey);
        }

        keys?.Complete();
        return keys?.Found ?? false;
    }

    /// <summary>Reads what is left (so the digest covers the whole file) and returns the digest; idempotent.</summary>
    public FileDigest Finish(CancellationToken cancellationToken = default)
    {
        if (_digest is { } done)
        {
            return done;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(Sha256File.BufferSize);
        try
        {
            while (Read(buffer, 0, Sha256File.BufferSize) > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        var digest = new FileDigest(_hash.GetHashAndReset(), _total, HoldsPrivateKey(secrets, _keys));
        _digest = digest;
        return digest;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
            if (!leaveOpen)
            {
                inner.Dispose();
            }
        }

        base.Dispose(disposing);
    }
}
