namespace MlBuildGuard.Core.Models.Containers;

/// <summary>A scan limit was reached while reading (decompression bomb, oversized entry).</summary>
public sealed class ScanLimitException(string what, long limit) : Exception(what)
{
    public long Limit { get; } = limit;
}

/// <summary>
/// Passes a decompressed stream through and stops it at a size limit, or when it inflates past a ratio of its compressed
/// size: reading a bomb costs at most the limit, never the bomb.
/// </summary>
internal sealed class BoundedStream(Stream inner, long maxBytes, long compressedBytes, double maxRatio, ModelScanContext context) : ReadOnlyStream
{
    private long _read;

    public override int Read(byte[] buffer, int offset, int count)
    {
        var n = inner.Read(buffer, offset, count);
        _read += n;
        context.ExpandedBytes += n;
        if (_read > maxBytes)
        {
            throw new ScanLimitException("an entry inflates past the size allowed", maxBytes);
        }

        if (compressedBytes > 0 && _read > (1 << 20) && _read > compressedBytes * maxRatio)
        {
            throw new ScanLimitException($"an entry inflates more than {maxRatio:0}× its compressed size (a decompression bomb)", (long)maxRatio);
        }

        if (context.ExpandedBytes > context.Limits.MaxTotalBytes)
        {
            throw new ScanLimitException("the file inflates past the total size allowed", context.Limits.MaxTotalBytes);
        }

        return n;
    }

    public override long Position { get => _read; set => throw new NotSupportedException(); }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>A window of a seekable stream, read through its own position.</summary>
internal sealed class SliceStream(Stream inner, long start, long length) : ReadOnlyStream
{
    private long _position;

    public override int Read(byte[] buffer, int offset, int count)
    {
        var remaining = length - _position;
        if (remaining <= 0)
        {
            return 0;
        }

        inner.Position = start + _position;
        var n = inner.Read(buffer, offset, (int)Math.Min(count, remaining));
        _position += n;
        return n;
    }

    public override bool CanSeek => true;

    public override long Length => length;

    public override long Position { get => _position; set => _position = Math.Clamp(value, 0, length); }

    public override long Seek(long offset, SeekOrigin origin)
    {
        Position = origin switch { SeekOrigin.Begin => offset, SeekOrigin.Current => _position + offset, _ => length + offset };
        return _position;
    }
}
