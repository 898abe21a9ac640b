using System.Text;

namespace MlBuildGuard.Core.IO;

/// <summary>
/// Maps byte offsets of a UTF-8 document to 1-based lines and (UTF-16 character) columns, as editors and MSBuild count
/// them. Line starts are found the first time a position is asked for: documents that parse cleanly never pay for it.
/// </summary>
public sealed class Utf8LineTable
{
    private readonly byte[] _bytes;
    private List<int>? _starts;

    public Utf8LineTable(ReadOnlySpan<byte> utf8) => _bytes = utf8.ToArray();

    private List<int> LineStarts
    {
        get
        {
            if (_starts is null)
            {
                var starts = new List<int> { 0 };
                var span = _bytes.AsSpan();
                int at, from = 0;
                while ((at = span[from..].IndexOf((byte)'\n')) >= 0)
                {
                    from += at + 1;
                    starts.Add(from);
                }

                _starts = starts;
            }

            return _starts;
        }
    }

    /// <summary>Line and column of the byte at <paramref name="byteIndex"/>.</summary>
    public (int Line, int Column) Position(long byteIndex)
    {
        var index = (int)Math.Clamp(byteIndex, 0, _bytes.Length);
        var line = LineStarts.BinarySearch(index);
        if (line < 0)
        {
            line = ~line - 1;
        }

        return (line + 1, Chars(LineStarts[line], index) + 1);
    }

    /// <summary>The column of a byte position within a 1-based line (as <c>System.Text.Json</c> reports errors).</summary>
    public int ColumnOfLineByte(int line, int bytePosition)
    {
        if (line < 1 || line > LineStarts.Count)
        {
            return 1;
        }

        var start = LineStarts[line - 1];
        return Chars(start, Math.Min(start + bytePosition, _bytes.Length)) + 1;
    }

    /// <summary>Index of the first byte that is not part of a valid UTF-8 sequence, or -1 when all of it is valid.</summary>
    public static int FirstInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        if (System.Text.Unicode.Utf8.IsValid(bytes))
        {
            return -1;
        }

        var at = 0;
        while (at < bytes.Length && Rune.DecodeFromUtf8(bytes[at..], out _, out var consumed) == System.Buffers.OperationStatus.Done)
        {
            at += consumed;
        }

        return at;
    }

    private int Chars(int start, int end) => end <= start ? 0 : Encoding.UTF8.GetCharCount(_bytes, start, end - start);
}
