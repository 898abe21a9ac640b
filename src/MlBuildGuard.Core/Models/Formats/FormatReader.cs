using System.Buffers.Binary;

namespace MlBuildGuard.Core.Models.Formats;

/// <summary>
/// Thrown by the format readers when the bytes break the format's structure. <see cref="Offset"/> is the byte (from the
/// start of the view) where the problem was found; the message is the reason, worded to follow "invalid … header: ".
/// </summary>
internal sealed class MalformedFormatException(long offset, string reason) : Exception(reason)
{
    public long Offset { get; } = offset;
}

/// <summary>Thrown when a scan limit (not the format) stops the reader; reported as MLG307.</summary>
internal sealed class FormatLimitException(string what, object limit) : Exception(what)
{
    public object Limit { get; } = limit;
}

/// <summary>
/// A forward cursor over the first <see cref="Length"/> bytes of a stream, through a small buffer. It never allocates
/// more than its buffer plus what a caller explicitly asks to read, and every read or skip is checked against the bytes
/// that remain first, so a header that claims a huge count or length fails before anything is allocated or read.
/// Seekable streams are skipped by seeking (the data of a 10 GB model is never read); others by reading.
/// </summary>
internal sealed class FormatReader
{
    private readonly Stream _stream;
    private readonly long _origin;
    private readonly byte[] _buffer;
    private long _bufferStart;
    private int _bufferCount;
    private long _streamPosition; // only tracked for streams that cannot seek

    public FormatReader(Stream stream, long length, int bufferSize = 64 * 1024)
    {
        _stream = stream;
        _origin = stream.CanSeek ? stream.Position : 0;
        Length = stream.CanSeek ? Math.Max(0, Math.Min(length, stream.Length - _origin)) : Math.Max(0, length);
        DeclaredLength = length;
        _buffer = new byte[(int)Math.Max(16, Math.Min(bufferSize, Math.Max(Length, 16)))];
    }

    /// <summary>Bytes that may be read (the declared length, or less when the stream is shorter).</summary>
    public long Length { get; }

    /// <summary>The length the caller gave.</summary>
    public long DeclaredLength { get; }

    public long Position { get; private set; }

    public long Remaining => Length - Position;

    public byte ReadByte()
    {
        if (Position >= Length)
        {
            throw Truncated(1);
        }

        var index = Position - _bufferStart;
        if (index < 0 || index >= _bufferCount)
        {
            Fill(Position);
            index = 0;
        }

        Position++;
        return _buffer[index];
    }

    /// <summary>Reads exactly <paramref name="destination"/>.Length bytes.</summary>
    public void Read(Span<byte> destination)
    {
        if (destination.Length > Remaining)
        {
            throw Truncated(destination.Length);
        }

        while (!destination.IsEmpty)
        {
            var index = Position - _bufferStart;
            if (index < 0 || index >= _bufferCount)
            {
                Fill(Position);
                index = 0;
            }

            var n = (int)Math.Min(destination.Length, _bufferCount - index);
            _buffer.AsSpan((int)index, n).CopyTo(destination);
            destination = destination[n..];
            Position += n;
        }
    }

    /// <summary>Reads <paramref name="count"/> bytes into a new array, after checking that they exist.</summary>
    public byte[] ReadBytes(long count)
    {
        if (count < 0 || count > Remaining)
        {
            throw Truncated(count);
        }

        var bytes = new byte[count];
        Read(bytes);
        return bytes;
    }

    public uint ReadUInt32()
    {
        Span<byte> b = stackalloc byte[4];
        Read(b);
        return BinaryPrimitives.ReadUInt32LittleEndian(b);
    }

    public ulong ReadUInt64()
    {
        Span<byte> b = stackalloc byte[8];
        Read(b);
        return BinaryPrimitives.ReadUInt64LittleEndian(b);
    }

    /// <summary>Moves past <paramref name="count"/> bytes without reading them (when the stream can seek).</summary>
    public void Skip(long count)
    {
        if (count < 0 || count > Remaining)
        {
            throw Truncated(count);
        }

        Position += count;
    }

    /// <summary>Moves to an absolute position at or before <see cref="Length"/>.</summary>
    public void Seek(long position)
    {
        if (position < 0 || position > Length)
        {
            throw new MalformedFormatException(Position, $"byte {position} is outside the file ({DeclaredLength} bytes)");
        }

        Position = position;
    }

    private MalformedFormatException Truncated(long wanted) =>
        Length < DeclaredLength && Position + wanted > Length
            ? new MalformedFormatException(Position, $"the stream ends at byte {Length}, before the declared length {DeclaredLength}")
            : new MalformedFormatException(Position, $"it ends at byte {Length}, in the middle of a structure that needs {wanted} more byte(s) at byte {Position}");

    private void Fill(long position)
    {
        var want = (int)Math.Min(_buffer.Length, Length - position);
        if (_stream.CanSeek)
        {
            _stream.Position = _origin + position;
        }
        else
        {
            if (position < _streamPosition)
            {
                throw new InvalidOperationException("a forward-only stream cannot go back");
            }

            while (_streamPosition < position)
            {
                var skip = (int)Math.Min(_buffer.Length, position - _streamPosition);
                var got = _stream.Read(_buffer, 0, skip);
                if (got == 0)
                {
                    throw new MalformedFormatException(position, $"the stream ends at byte {_streamPosition}, before the declared length {DeclaredLength}");
                }

                _streamPosition += got;
            }
        }

        var total = 0;
        while (total < want)
        {
            var got = _stream.Read(_buffer, total, want - total);
            if (got == 0)
            {
                break;
            }

            total += got;
        }

        _streamPosition = position + total;
        _bufferStart = position;
        _bufferCount = total;
        if (total == 0)
        {
            throw new MalformedFormatException(position, $"the stream ends at byte {position}, before the declared length {DeclaredLength}");
        }
    }
}
