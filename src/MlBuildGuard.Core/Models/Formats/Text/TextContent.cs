using System.Buffers;
using System.Text.Unicode;

namespace MlBuildGuard.Core.Models.Formats.Text;

/// <summary>What text formats share: telling text from binary by the head, and checking a whole stream is text.</summary>
internal static class TextContent
{
    private static readonly SearchValues<byte> BinaryControls = SearchValues.Create(
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 127]);

    /// <summary>UTF-8 (a character cut by the end of the head is fine) without NUL or other binary control bytes.</summary>
    public static bool Looks(ReadOnlySpan<byte> head, long length)
    {
        if (head.IsEmpty || head.IndexOfAny(BinaryControls) >= 0)
        {
            return false;
        }

        var status = Utf8.ToUtf16(head, new char[head.Length], out var read, out _, replaceInvalidSequences: false, isFinalBlock: head.Length == length);
        return status == OperationStatus.Done || (status == OperationStatus.NeedMoreData && head.Length - read < 4);
    }

    /// <summary>The first non-whitespace byte after an optional UTF-8 byte-order mark, or 0.</summary>
    public static byte FirstSignificant(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            head = head[3..];
        }

        foreach (var b in head)
        {
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
            {
                return b;
            }
        }

        return 0;
    }

    /// <summary>
    /// Reads the stream to its end checking it stays text; returns the byte offset of the first byte that is not, or -1.
    /// <paramref name="onChunk"/> sees every chunk (to look for markers as it goes).
    /// </summary>
    public static long FirstBinaryByte(Stream stream, CancellationToken cancellationToken, Action<ReadOnlySpan<byte>>? onChunk = null)
    {
        var buffer = new byte[1 << 16];
        var chars = new char[buffer.Length];
        var carry = 0;
        long offset = 0;
        int n;
        stream.Position = 0;
        while ((n = stream.Read(buffer, carry, buffer.Length - carry)) > 0 || carry > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var total = carry + n;
            var chunk = buffer.AsSpan(0, total);
            if (chunk.IndexOfAny(BinaryControls) is var bad and >= 0)
            {
                return offset + bad;
            }

            var status = Utf8.ToUtf16(chunk, chars, out var read, out _, replaceInvalidSequences: false, isFinalBlock: n == 0);
            if (status == OperationStatus.InvalidData || (n == 0 && status != OperationStatus.Done))
            {
                return offset + read;
            }

            onChunk?.Invoke(chunk[..read]);
            carry = total - read;
            chunk[read..].CopyTo(buffer);
            offset += read;
            if (n == 0)
            {
                break;
            }
        }

        return -1;
    }
}
