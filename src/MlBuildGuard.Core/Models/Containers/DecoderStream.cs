namespace MlBuildGuard.Core.Models.Containers;

/// <summary>
/// Wraps a decompressor. Decoders fed hostile data fail in their own ways (index errors, argument errors, overflow);
/// every such failure, at creation or while reading, becomes an <see cref="InvalidDataException"/> the scanner reports
/// as unreadable, while scan limits, cancellation and real I/O errors pass through unchanged.
/// </summary>
internal sealed class DecoderStream : ReadOnlyStream
{
    private readonly Stream _inner;
    private readonly string _kind;

    private DecoderStream(Stream inner, string kind)
    {
        _inner = inner;
        _kind = kind;
    }

    public static Stream Open(string kind, Func<Stream> create)
    {
        try
        {
            return new DecoderStream(create(), kind);
        }
        catch (Exception e) when (IsDecoderFailure(e))
        {
            throw Damaged(kind, e);
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        try
        {
            return _inner.Read(buffer);
        }
        catch (Exception e) when (IsDecoderFailure(e))
        {
            throw Damaged(_kind, e);
        }
    }

    private static bool IsDecoderFailure(Exception e) =>
        e is not (ScanLimitException or OperationCanceledException or InvalidDataException or EndOfStreamException or IOException);

    private static InvalidDataException Damaged(string kind, Exception e) =>
        new($"its {kind} data is damaged: {e.GetType().Name}", e);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
