using System.Text.Unicode;

namespace MlBuildGuard.Core.DataValidation;

/// <summary>
/// Sits between a text table's bytes and its parser and keeps the parser's memory bounded and its input honest: it
/// counts lines, refuses invalid UTF-8 (with its line), and refuses a row longer than <see cref="MaxRowBytes"/> (a
/// giant line, or a quote that never closes) before the parser would have to buffer it. For CSV/TSV a row may span lines
/// inside double quotes, so it follows RFC 4180 quoting; for JSON Lines a row is a line.
/// </summary>
internal sealed class TextGuardStream(Stream inner, bool quoted, int maxRowBytes = TextGuardStream.DefaultMaxRowBytes) : Models.Containers.ReadOnlyStream
{
    /// <summary>Below Sep's own row limit (16 Mi characters), so the clearer message here comes first.</summary>
    public const int DefaultMaxRowBytes = 8 << 20;

    private readonly byte[] _carry = new byte[4];
    private int _carryLength;
    private bool _inQuotes;
    private long _rowBytes;
    private long _rowStartLine = 1;
    private bool _first = true;

    public long Line { get; private set; } = 1;

    public int MaxRowBytes { get; } = maxRowBytes;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var read = inner.Read(buffer);
        if (read == 0)
        {
            if (_carryLength > 0)
            {
                throw new DataFormatException("the file ends inside a UTF-8 sequence (it is not valid UTF-8)", Line);
            }

            return 0;
        }

        var chunk = buffer[..read];
        if (_first)
        {
            _first = false;
            if (chunk.Length >= 2 && (chunk[0], chunk[1]) is (0xFF, 0xFE) or (0xFE, 0xFF))
            {
                throw new DataFormatException("the file is UTF-16; MlBuildGuard reads UTF-8 tables (save it as UTF-8)", 1, 1);
            }
        }

        CheckUtf8(chunk);
        Track(chunk);
        return read;
    }

    private void CheckUtf8(ReadOnlySpan<byte> chunk)
    {
        if (_carryLength > 0)
        {
            // Complete the sequence the previous chunk ended in.
            var need = SequenceLength(_carry[0]) - _carryLength;
            var take = Math.Min(need, chunk.Length);
            chunk[..take].CopyTo(_carry.AsSpan(_carryLength));
            _carryLength += take;
            chunk = chunk[take..];
            if (take < need)
            {
                return;
            }

            if (!Utf8.IsValid(_carry.AsSpan(0, _carryLength)))
            {
                throw InvalidUtf8(ReadOnlySpan<byte>.Empty, 0);
            }

            _carryLength = 0;
        }

        var tail = IncompleteTail(chunk);
        var whole = chunk[..^tail];
        if (!Utf8.IsValid(whole))
        {
            throw InvalidUtf8(whole, IO.Utf8LineTable.FirstInvalidUtf8(whole));
        }

        chunk[^tail..].CopyTo(_carry);
        _carryLength = tail;
    }

    private DataFormatException InvalidUtf8(ReadOnlySpan<byte> chunk, int at)
    {
        var before = chunk[..at];
        var line = Line + before.Count((byte)'\n');
        var lineStart = before.LastIndexOf((byte)'\n') + 1;
        return new DataFormatException($"it is not valid UTF-8 (byte 0x{(at < chunk.Length ? chunk[at] : _carry[0]):X2})", line, at - lineStart + 1);
    }

    /// <summary>How many bytes at the end start a multi-byte sequence that the next chunk must complete.</summary>
    private static int IncompleteTail(ReadOnlySpan<byte> chunk)
    {
        for (var back = 1; back <= Math.Min(3, chunk.Length); back++)
        {
            var b = chunk[^back];
            if (b < 0x80)
            {
                return 0;
            }

            if (b >= 0xC0)
            {
                return SequenceLength(b) > back ? back : 0;
            }
        }

        return 0;
    }

    private static int SequenceLength(byte lead) => lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;

    private void Track(ReadOnlySpan<byte> chunk)
    {
        if (!quoted || (!_inQuotes && !chunk.Contains((byte)'"')))
        {
            var lines = chunk.Count((byte)'\n');
            if (lines > 0)
            {
                Line += lines;
                _rowBytes = chunk.Length - chunk.LastIndexOf((byte)'\n') - 1;
                _rowStartLine = Line;
            }
            else
            {
                _rowBytes += chunk.Length;
            }

            CheckRow();
            return;
        }

        while (!chunk.IsEmpty)
        {
            var at = chunk.IndexOfAny((byte)'"', (byte)'\n');
            if (at < 0)
            {
                _rowBytes += chunk.Length;
                break;
            }

            if (chunk[at] == (byte)'\n')
            {
                Line++;
                if (_inQuotes)
                {
                    _rowBytes += at + 1;
                }
                else
                {
                    _rowBytes = 0;
                    _rowStartLine = Line;
                }
            }
            else
            {
                _inQuotes = !_inQuotes; // "" inside a quoted value toggles twice
                _rowBytes += at + 1;
            }

            CheckRow();
            chunk = chunk[(at + 1)..];
        }

        CheckRow();
    }

    private void CheckRow()
    {
        if (_rowBytes > MaxRowBytes)
        {
            var why = _inQuotes ? " (a double quote that never closes?)" : "";
            throw new DataFormatException($"the row starting at line {_rowStartLine} is longer than {MaxRowBytes >> 20} MiB{why}; MlBuildGuard bounds a row's size to keep its memory bounded", _rowStartLine, 1);
        }
    }
}
