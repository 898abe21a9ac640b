using System.Buffers.Binary;
using System.Text;

namespace MlBuildGuard.Core.Models.Pickle;

/// <summary>The pickle stream cannot be followed further (the loader would stop here too, or diverge).</summary>
public sealed class PickleFormatException(string message, long position) : Exception(message)
{
    public long Position { get; } = position;
}

/// <summary>
/// Reads opcodes and their arguments from a pickle stream with bounded memory: large byte payloads are skipped, never
/// loaded. Enforces FRAME boundaries the way <c>pickle.py</c> does (an argument may not run past its frame, and a frame may
/// not open inside another), so a stream that CPython's C unpickler would read differently is rejected, not misread.
/// </summary>
internal sealed class PickleReader
{
    /// <summary>Longest text argument (protocol 0 lines, string contents kept as text).</summary>
    public const int MaxLine = 1 << 16;

    private readonly Stream _stream;
    private readonly byte[] _buffer = new byte[1 << 16];
    private int _start;
    private int _end;
    private long _position;
    private long _frameEnd = -1;

    private readonly Action<string, long>? _onFrameViolation;
    private bool _ignoreFrames;

    /// <param name="onFrameViolation">
    /// Called once when the stream breaks a frame rule; reading then goes on byte by byte, ignoring frames, as CPython's C
    /// unpickler did (so opcodes a frame tried to hide are read too). Without it a violation ends the stream.
    /// </param>
    public PickleReader(Stream stream, long startPosition = 0, Action<string, long>? onFrameViolation = null)
    {
        _stream = stream;
        _position = startPosition;
        _onFrameViolation = onFrameViolation;
    }

    private void Violation(string reason)
    {
        if (_onFrameViolation is null)
        {
            throw new PickleFormatException(reason, _position);
        }

        _onFrameViolation(reason, _position);
        _ignoreFrames = true;
        _frameEnd = -1;
    }

    /// <summary>Offset of the next byte, counted from the start of the stream given.</summary>
    public long Position => _position;

    public bool AtEnd => _start == _end && !Fill();

    /// <summary>Starts a frame of <paramref name="length"/> bytes at the current position.</summary>
    public void OpenFrame(long length)
    {
        if (_ignoreFrames)
        {
            return;
        }

        if (InFrame)
        {
            Violation("a FRAME starts before the previous frame ends (CPython's unpicklers disagree on such streams)");
            return;
        }

        if (length < 0)
        {
            throw new PickleFormatException("a FRAME has a negative length", _position);
        }

        _frameEnd = _position + length;
    }

    private bool InFrame => _frameEnd >= 0 && _position < _frameEnd;

    private void Check(long count)
    {
        if (_frameEnd >= 0 && _position < _frameEnd && _position + count > _frameEnd)
        {
            Violation("an opcode argument runs past the end of its FRAME (CPython's unpicklers disagree on such streams)");
            return;
        }

        if (_frameEnd >= 0 && _position >= _frameEnd)
        {
            _frameEnd = -1;
        }
    }

    public int ReadOpcode()
    {
        Check(1);
        if (_start == _end && !Fill())
        {
            return -1;
        }

        _position++;
        return _buffer[_start++];
    }

    public byte ReadByte()
    {
        Check(1);
        if (_start == _end && !Fill())
        {
            throw Truncated();
        }

        _position++;
        return _buffer[_start++];
    }

    public void ReadExactly(Span<byte> target)
    {
        Check(target.Length);
        var done = 0;
        while (done < target.Length)
        {
            if (_start == _end && !Fill())
            {
                throw Truncated();
            }

            var n = Math.Min(target.Length - done, _end - _start);
            _buffer.AsSpan(_start, n).CopyTo(target[done..]);
            _start += n;
            done += n;
            _position += n;
        }
    }

    public ushort ReadUInt16() { Span<byte> b = stackalloc byte[2]; ReadExactly(b); return BinaryPrimitives.ReadUInt16LittleEndian(b); }

    public int ReadInt32() { Span<byte> b = stackalloc byte[4]; ReadExactly(b); return BinaryPrimitives.ReadInt32LittleEndian(b); }

    public uint ReadUInt32() { Span<byte> b = stackalloc byte[4]; ReadExactly(b); return BinaryPrimitives.ReadUInt32LittleEndian(b); }

    public long ReadInt64() { Span<byte> b = stackalloc byte[8]; ReadExactly(b); return BinaryPrimitives.ReadInt64LittleEndian(b); }

    public ulong ReadUInt64() { Span<byte> b = stackalloc byte[8]; ReadExactly(b); return BinaryPrimitives.ReadUInt64LittleEndian(b); }

    public double ReadDoubleBigEndian() { Span<byte> b = stackalloc byte[8]; ReadExactly(b); return BinaryPrimitives.ReadDoubleBigEndian(b); }

    /// <summary>Reads <paramref name="count"/> bytes as text when short enough to matter (names), else skips them.</summary>
    public byte[]? ReadOrSkip(long count, int keepAtMost)
    {
        if (count < 0)
        {
            throw new PickleFormatException("a negative length", _position);
        }

        if (count <= keepAtMost)
        {
            var bytes = new byte[count];
            ReadExactly(bytes);
            return bytes;
        }

        Skip(count);
        return null;
    }

    /// <summary>Skips bytes without keeping them (payloads of tensors and arrays).</summary>
    public void Skip(long count)
    {
        Check(count);
        while (count > 0)
        {
            if (_start == _end)
            {
                if (_stream.CanSeek && count > _buffer.Length)
                {
                    var remaining = _stream.Length - _stream.Position;
                    if (count > remaining)
                    {
                        _stream.Seek(0, SeekOrigin.End);
                        _position += remaining;
                        throw Truncated();
                    }

                    _stream.Seek(count, SeekOrigin.Current);
                    _position += count;
                    return;
                }

                if (!Fill())
                {
                    throw Truncated();
                }
            }

            var n = (int)Math.Min(count, _end - _start);
            _start += n;
            _position += n;
            count -= n;
        }
    }

    /// <summary>A protocol-0 argument: bytes up to and without the newline.</summary>
    public string ReadLine()
    {
        var bytes = new List<byte>();
        while (true)
        {
            var b = ReadByte();
            if (b == (byte)'\n')
            {
                return Encoding.Latin1.GetString(bytes.ToArray());
            }

            if (bytes.Count >= MaxLine)
            {
                throw new PickleFormatException($"a text argument is longer than {MaxLine} bytes", _position);
            }

            bytes.Add(b);
        }
    }

    private bool Fill()
    {
        _start = 0;
        _end = _stream.Read(_buffer, 0, _buffer.Length);
        return _end > 0;
    }

    private PickleFormatException Truncated() => new("the stream ends in the middle of an opcode", _position);
}
