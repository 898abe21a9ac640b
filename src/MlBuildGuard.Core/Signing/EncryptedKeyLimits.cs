using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Pkcs;
using Org.BouncyCastle.Math;

namespace MlBuildGuard.Core.Signing;

/// <summary>
/// An encrypted PKCS#8 key names the work its passphrase costs to turn into a key (the PBKDF2 iteration count). Real keys
/// ask for thousands to a few million iterations; a key file asking for billions would hold the build for hours, so such
/// a key is refused (MLG605) before any work is done.
/// </summary>
internal static class EncryptedKeyLimits
{
    public const int MaxIterations = 10_000_000;

    /// <summary>Throws <see cref="OmsKeyException"/> when an <c>ENCRYPTED PRIVATE KEY</c> block asks for more than <see cref="MaxIterations"/>.</summary>
    public static void Check(string block)
    {
        const string Begin = "-----BEGIN ENCRYPTED PRIVATE KEY-----";
        if (!block.StartsWith(Begin, StringComparison.Ordinal))
        {
            return;
        }

        BigInteger? iterations;
        try
        {
            var body = block[Begin.Length..block.IndexOf("-----END ", StringComparison.Ordinal)];
            var info = EncryptedPrivateKeyInfo.GetInstance(Asn1Object.FromByteArray(Convert.FromBase64String(body)));
            var algorithm = info.EncryptionAlgorithm;
            iterations = algorithm.Algorithm.Equals(PkcsObjectIdentifiers.IdPbeS2)
                ? PbeS2Parameters.GetInstance(algorithm.Parameters).KeyDerivationFunc is var kdf && kdf.Algorithm.Equals(PkcsObjectIdentifiers.IdPbkdf2)
                    ? Pbkdf2Params.GetInstance(kdf.Parameters).IterationCount
                    : null
                : Pkcs12PbeParams.GetInstance(algorithm.Parameters).Iterations;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return; // not readable this far: the key reader refuses it with its own reason
        }

        if (iterations is not null && iterations.CompareTo(BigInteger.ValueOf(MaxIterations)) > 0)
        {
            throw new OmsKeyException($"The private key asks for {iterations} key-derivation iterations, more than the {MaxIterations:N0} any real key uses; it was not decrypted.");
        }
    }
}
