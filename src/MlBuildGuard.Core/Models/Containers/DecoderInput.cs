namespace MlBuildGuard.Core.Models.Containers;

/// <summary>
/// The input side of a third-party decoder. Some decoders loop forever when their input ends early (they take the -1 of
/// <see cref="Stream.ReadByte"/> as data, or retry a read that returns nothing). A decoder finishing a well-formed stream
/// looks at its end a few times at most (bzip2 checks for a following stream); the LZMA decoders, which read their
/// input byte by byte up to a known end, take at most one -1 from <see cref="Stream.ReadByte"/>. More than that means the
/// decoder is stuck on truncated data, so it fails instead of hanging.
/// </summary>
internal sealed class DecoderInput(Stream inner, bool byteReadsStopAtEnd) : ReadOnlyStream
{
    private const int ReadsAtEndAllowed = 64;

    private int _readsAtEnd;
    private int _bytesReadAtEnd;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = inner.Read(buffer);
        if (n == 0 && buffer.Length > 0)
        {
            AtEnd();
        }

        return n;
    }

    public override int ReadByte()
    {
        var b = inner.ReadByte();
        if (b < 0 && ((byteReadsStopAtEnd && ++_bytesReadAtEnd > 1) || ++_readsAtEnd > ReadsAtEndAllowed))
        {
            throw new InvalidDataException("the compressed data ends early");
        }

        return b;
    }

    private void AtEnd()
    {
        if (++_readsAtEnd > ReadsAtEndAllowed)
        {
            throw new InvalidDataException("the compressed data ends early");
        }
    }

    public override bool CanSeek => inner.CanSeek;

    public override long Length => inner.Length;

    public override long Position
    {
        get => inner.Position;
        set => inner.Position = value;
    }

    public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
}
