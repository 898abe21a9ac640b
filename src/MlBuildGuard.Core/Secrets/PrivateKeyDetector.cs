namespace MlBuildGuard.Core.Secrets;

/// <summary>
/// Notices a PEM private key block (<c>-----BEGIN … PRIVATE KEY-----</c>: PKCS#8, encrypted PKCS#8, SEC1, RSA, OpenSSH)
/// in bytes that arrive in chunks, so a file can be checked in the same pass that hashes it (MLG606). It is the secret
/// engine (<see cref="SecretScanner"/>) with only the private-key header rule: a vectorised search for the marker
/// <c>PRIVATE KEY-----</c>, and the header regex only around a hit. Blocks split across chunks are found.
/// </summary>
public sealed class PrivateKeyDetector
{
    private readonly SecretScanner _scanner = new(SecretRuleSet.PrivateKeyHeaderOnly);

    /// <summary>
    /// Whether a private key block has been seen in the bytes given so far. A header in the last 17 bytes given is only
    /// decided by <see cref="Complete"/> (its end may still be on its way).
    /// </summary>
    public bool Found => _scanner.HasMatches;

    public void Append(ReadOnlySpan<byte> chunk)
    {
        if (!Found)
        {
            _scanner.Append(chunk);
        }
    }

    /// <summary>Ends the input: a header in the very last bytes is decided now.</summary>
    public void Complete() => _scanner.Complete();

    /// <summary>Whether <paramref name="data"/> holds a whole private key header line.</summary>
    public static bool Contains(ReadOnlySpan<byte> data) => SecretScanner.Scan(SecretRuleSet.PrivateKeyHeaderOnly, data).Count > 0;
}
