using System.Buffers;
using System.Security.Cryptography;
using MlBuildGuard.Core.Secrets;

namespace MlBuildGuard.Core.Hashing;

/// <summary>
/// A read-only pass-through stream that hashes (SHA-256) and looks for private key blocks in every byte read through it.
/// A reader that drives its own reads (a CSV parser) validates a file in the same pass that hashes it: wrap the file in
/// this stream, let the reader read, then <see cref="Finish"/> hashes whatever the reader left unread.
/// </summary>
internal sealed class DigestingStream(Stream inner, bool leaveOpen = false) : Models.Containers.ReadOnlyStream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly PrivateKeyDetector _keys = new();
    private long _total;
    private FileDigest? _digest;

    public override long Length => inner.Length;

    public override long Position
    {
        get => _total;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var read = inner.Read(buffer);
        if (read > 0)
        {
            var chunk = buffer[..read];
            _hash.AppendData(chunk);
            _keys.Append(chunk);
            _total += read;
        }

        return read;
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

        var digest = new FileDigest(_hash.GetHashAndReset(), _total, _keys.Found);
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
