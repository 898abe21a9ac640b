namespace MlBuildGuard.Core.Secrets;

/// <summary>
/// Notices a PEM private key block (<c>-----BEGIN … PRIVATE KEY-----</c>: PKCS#8, encrypted PKCS#8, SEC1, RSA, OpenSSH)
/// in bytes that arrive in chunks, so a file can be checked in the same pass that hashes it. The search is a vectorised
/// scan for the 16-byte marker <c>PRIVATE KEY-----</c>; only a hit is looked at more closely. Blocks split across chunks
/// are found: the last bytes of each chunk are kept and searched together with the start of the next one.
/// </summary>
public sealed class PrivateKeyDetector
{
    private static ReadOnlySpan<byte> Marker => "PRIVATE KEY-----"u8;

    private static ReadOnlySpan<byte> Begin => "-----BEGIN "u8;

    /// <summary>How far before the marker the <c>-----BEGIN </c> may start (labels are short: "ENCRYPTED ", "OPENSSH ").</summary>
    private const int LookBack = 64;

    /// <summary>Bytes kept from the previous chunk: enough for a whole header that straddles the boundary.</summary>
    private const int Carry = LookBack + 16 - 1;

    private readonly byte[] _tail = new byte[Carry];
    private int _tailLength;

    /// <summary>Whether a private key block has been seen in the bytes given so far.</summary>
    public bool Found { get; private set; }

    public void Append(ReadOnlySpan<byte> chunk)
    {
        if (Found || chunk.IsEmpty)
        {
            return;
        }

        // Across the boundary: the carried tail plus the start of this chunk.
        if (_tailLength > 0)
        {
            Span<byte> window = stackalloc byte[Carry + Carry + 1];
            _tail.AsSpan(0, _tailLength).CopyTo(window);
            var head = chunk[..Math.Min(chunk.Length, Carry + 1)];
            head.CopyTo(window[_tailLength..]);
            if (Contains(window[..(_tailLength + head.Length)]))
            {
                Found = true;
                return;
            }
        }

        if (Contains(chunk))
        {
            Found = true;
            return;
        }

        // Keep the last bytes of everything seen so far.
        if (chunk.Length >= Carry)
        {
            chunk[^Carry..].CopyTo(_tail);
            _tailLength = Carry;
        }
        else
        {
            var keep = Math.Min(_tailLength, Carry - chunk.Length);
            _tail.AsSpan(_tailLength - keep, keep).CopyTo(_tail);
            chunk.CopyTo(_tail.AsSpan(keep));
            _tailLength = keep + chunk.Length;
        }
    }

    /// <summary>Whether <paramref name="data"/> holds a whole private key header line.</summary>
    public static bool Contains(ReadOnlySpan<byte> data)
    {
        var offset = 0;
        while (offset < data.Length)
        {
            var hit = data[offset..].IndexOf(Marker);
            if (hit < 0)
            {
                return false;
            }

            var at = offset + hit;
            var from = Math.Max(0, at - LookBack);
            var before = data[from..at];
            var lineStart = before.LastIndexOf((byte)'\n');
            if (lineStart >= 0)
            {
                before = before[(lineStart + 1)..];
            }

            if (before.IndexOf(Begin) >= 0)
            {
                return true;
            }

            offset = at + 1;
        }

        return false;
    }
}
