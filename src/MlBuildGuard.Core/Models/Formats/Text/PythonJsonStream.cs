namespace MlBuildGuard.Core.Models.Formats.Text;

/// <summary>
/// Passes JSON through, replacing the bare <c>NaN</c>, <c>Infinity</c> and <c>-Infinity</c> Python's <c>json</c> writes
/// (outside strings) by a zero padded with spaces to the same length, so System.Text.Json can read what Python reads and
/// every position stays where it was. Works on a stream of any length: a literal cut by the end of a read waits for
/// the next one.
/// </summary>
internal sealed class PythonJsonStream(Stream inner) : Containers.ReadOnlyStream
{
    private readonly byte[] _pending = new byte[8];
    private int _pendingCount;
    private PythonJson.JsonStringState _strings;
    private bool _innerDone;

    public override int Read(byte[] buffer, int offset, int count)
    {
        if (count < _pending.Length + 1)
        {
            throw new ArgumentException("reads must ask for at least 9 bytes", nameof(count));
        }

        _pending.AsSpan(0, _pendingCount).CopyTo(buffer.AsSpan(offset));
        var filled = _pendingCount;
        _pendingCount = 0;
        while (filled < count && !_innerDone)
        {
            var n = inner.Read(buffer, offset + filled, count - filled);
            if (n == 0)
            {
                _innerDone = true;
                break;
            }

            filled += n;
            if (filled >= _pending.Length)
            {
                break;
            }
        }

        var span = buffer.AsSpan(offset, filled);
        for (var i = 0; i < span.Length; i++)
        {
            var b = span[i];
            if (_strings.Inside(b))
            {
                continue;
            }

            var literal = b == (byte)'N' ? "NaN"u8 : b == (byte)'I' ? "Infinity"u8 : default;
            if (literal.IsEmpty)
            {
                continue;
            }

            var rest = span[i..];
            if (rest.Length < literal.Length && !_innerDone)
            {
                // Cut by the end of this read: keep it for the next.
                rest.CopyTo(_pending);
                _pendingCount = rest.Length;
                return i;
            }

            if (rest.StartsWith(literal))
            {
                rest[0] = (byte)'0';
                rest[1..literal.Length].Fill((byte)' ');
                i += literal.Length - 1;
            }
        }

        return span.Length;
    }
}
