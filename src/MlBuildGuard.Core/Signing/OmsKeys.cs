using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Sec;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Asn1.X9;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.OpenSsl;
using Org.BouncyCastle.Pkcs;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;

namespace MlBuildGuard.Core.Signing;

/// <summary>The curves OMS allows, each with the hash its signatures use.</summary>
public enum OmsCurve
{
    /// <summary>NIST P-256 with SHA-256 (the default).</summary>
    P256,

    /// <summary>NIST P-384 with SHA-384.</summary>
    P384,

    /// <summary>NIST P-521 with SHA-512.</summary>
    P521,
}

/// <summary>A key cannot be used: unreadable, wrong passphrase, not EC, or an unsupported curve. Never carries key material.</summary>
public sealed class OmsKeyException(string message) : Exception(message);

internal static class OmsCurves
{
    public static DerObjectIdentifier Oid(OmsCurve curve) => curve switch
    {
        OmsCurve.P256 => SecObjectIdentifiers.SecP256r1,
        OmsCurve.P384 => SecObjectIdentifiers.SecP384r1,
        _ => SecObjectIdentifiers.SecP521r1,
    };

    public static OmsCurve FromOid(DerObjectIdentifier? oid)
    {
        if (SecObjectIdentifiers.SecP256r1.Equals(oid))
        {
            return OmsCurve.P256;
        }

        if (SecObjectIdentifiers.SecP384r1.Equals(oid))
        {
            return OmsCurve.P384;
        }

        if (SecObjectIdentifiers.SecP521r1.Equals(oid))
        {
            return OmsCurve.P521;
        }

        throw new OmsKeyException("Unsupported key: only ECDSA keys on the named curves P-256, P-384 and P-521 are supported.");
    }

    public static IDigest Digest(OmsCurve curve) => curve switch
    {
        OmsCurve.P256 => new Sha256Digest(),
        OmsCurve.P384 => new Sha384Digest(),
        _ => new Sha512Digest(),
    };

    /// <summary>The text between the first BEGIN line whose label satisfies <paramref name="label"/> and its END line.</summary>
    public static string ExtractPem(string text, Func<string, bool> label, string what)
    {
        var start = 0;
        while ((start = text.IndexOf("-----BEGIN ", start, StringComparison.Ordinal)) >= 0)
        {
            var labelEnd = text.IndexOf("-----", start + 11, StringComparison.Ordinal);
            if (labelEnd < 0)
            {
                break;
            }

            var name = text[(start + 11)..labelEnd];
            if (label(name))
            {
                var endMarker = "-----END " + name + "-----";
                var end = text.IndexOf(endMarker, labelEnd, StringComparison.Ordinal);
                if (end < 0)
                {
                    break;
                }

                return text[start..(end + endMarker.Length)] + "\n";
            }

            start = labelEnd;
        }

        throw new OmsKeyException($"No PEM {what} block found.");
    }
}

/// <summary>An ECDSA public key (P-256/P-384/P-521) that verifies OMS signatures.</summary>
public sealed class OmsPublicKey
{
    private readonly ECPublicKeyParameters _key;

    internal OmsPublicKey(ECPublicKeyParameters key, OmsCurve curve)
    {
        _key = key;
        Curve = curve;
        var info = new SubjectPublicKeyInfo(new AlgorithmIdentifier(X9ObjectIdentifiers.IdECPublicKey, OmsCurves.Oid(curve)),
            key.Q.Normalize().GetEncoded(false));
        SubjectPublicKeyInfo = info.GetDerEncoded();
        Pem = ToPem("PUBLIC KEY", SubjectPublicKeyInfo);
        Hint = Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(Pem)));
    }

    public OmsCurve Curve { get; }

    /// <summary>DER SubjectPublicKeyInfo (named curve, uncompressed point).</summary>
    public byte[] SubjectPublicKeyInfo { get; }

    /// <summary>Canonical PEM: 64-column base64, '\n' line ends, trailing '\n'.</summary>
    public string Pem { get; }

    /// <summary>The OMS key hint: lowercase hex SHA-256 of <see cref="Pem"/>.</summary>
    public string Hint { get; }

    /// <summary>Reads the first <c>PUBLIC KEY</c> PEM block in <paramref name="pemText"/> (text around it is ignored).</summary>
    public static OmsPublicKey FromPem(string pemText)
    {
        ArgumentNullException.ThrowIfNull(pemText);
        var block = OmsCurves.ExtractPem(pemText, label => label == "PUBLIC KEY", "PUBLIC KEY");
        AsymmetricKeyParameter key;
        try
        {
            using var reader = new StringReader(block);
            key = new PemReader(reader).ReadObject() as AsymmetricKeyParameter
                ?? throw new OmsKeyException("The PUBLIC KEY block does not hold a public key.");
        }
        catch (OmsKeyException)
        {
            throw;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new OmsKeyException("The public key cannot be read (damaged PEM or DER).");
        }

        return FromParameters(key);
    }

    public static OmsPublicKey FromFile(string path) => FromPem(File.ReadAllText(path));

    internal static OmsPublicKey FromParameters(AsymmetricKeyParameter key)
    {
        if (key is not ECPublicKeyParameters ec || key.IsPrivate)
        {
            throw new OmsKeyException("Only elliptic curve (ECDSA) public keys are supported.");
        }

        return new OmsPublicKey(ec, OmsCurves.FromOid(ec.PublicKeyParamSet));
    }

    /// <summary>Whether <paramref name="derSignature"/> is a valid ECDSA signature (curve's hash) over <paramref name="data"/>.</summary>
    public bool VerifyDer(ReadOnlySpan<byte> data, byte[] derSignature)
    {
        try
        {
            var signer = new DsaDigestSigner(new ECDsaSigner(), OmsCurves.Digest(Curve));
            signer.Init(false, _key);
            signer.BlockUpdate(data);
            return signer.VerifySignature(derSignature);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return false; // malformed DER, out-of-range integers
        }
    }

    public bool SameKeyAs(OmsPublicKey other) => SubjectPublicKeyInfo.AsSpan().SequenceEqual(other.SubjectPublicKeyInfo);

    internal static string ToPem(string label, byte[] der)
    {
        var base64 = Convert.ToBase64String(der);
        var builder = new StringBuilder().Append("-----BEGIN ").Append(label).Append("-----\n");
        for (var i = 0; i < base64.Length; i += 64)
        {
            builder.Append(base64, i, Math.Min(64, base64.Length - i)).Append('\n');
        }

        return builder.Append("-----END ").Append(label).Append("-----\n").ToString();
    }
}

/// <summary>An ECDSA private key that signs OMS bundles. Its material never appears in messages or <see cref="ToString"/>.</summary>
public sealed class OmsPrivateKey
{
    private readonly ECPrivateKeyParameters _key;

    private OmsPrivateKey(ECPrivateKeyParameters key, OmsCurve curve)
    {
        _key = key;
        Curve = curve;
        var q = key.Parameters.G.Multiply(key.D).Normalize();
        PublicKey = new OmsPublicKey(new ECPublicKeyParameters("EC", q, OmsCurves.Oid(curve)), curve);
    }

    public OmsCurve Curve { get; }

    public OmsPublicKey PublicKey { get; }

    public override string ToString() => $"OmsPrivateKey({Curve})";

    /// <summary>A fresh key pair on <paramref name="curve"/>.</summary>
    public static OmsPrivateKey Generate(OmsCurve curve = OmsCurve.P256)
    {
        var generator = new ECKeyPairGenerator("EC");
        generator.Init(new ECKeyGenerationParameters(OmsCurves.Oid(curve), new SecureRandom()));
        return new OmsPrivateKey((ECPrivateKeyParameters)generator.GenerateKeyPair().Private, curve);
    }

    /// <summary>
    /// Reads the first private key PEM block: PKCS#8 (<c>PRIVATE KEY</c>), encrypted PKCS#8 (<c>ENCRYPTED PRIVATE KEY</c>) or
    /// SEC1 (<c>EC PRIVATE KEY</c>, optionally with OpenSSL's legacy encryption headers). Text around the block is ignored.
    /// </summary>
    public static OmsPrivateKey FromPem(string pemText, string? passphrase = null)
    {
        ArgumentNullException.ThrowIfNull(pemText);
        var block = OmsCurves.ExtractPem(pemText, label => label.EndsWith("PRIVATE KEY", StringComparison.Ordinal), "PRIVATE KEY");
        var encrypted = block.Contains("ENCRYPTED", StringComparison.Ordinal);
        if (encrypted && string.IsNullOrEmpty(passphrase))
        {
            throw new OmsKeyException("The private key is encrypted and no passphrase was given.");
        }

        EncryptedKeyLimits.Check(block);

        object? read;
        try
        {
            using var reader = new StringReader(block);
            read = new PemReader(reader, passphrase is null ? null : new Passphrase(passphrase)).ReadObject();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new OmsKeyException(encrypted
                ? "The private key cannot be decrypted (wrong passphrase or damaged key)."
                : "The private key cannot be read (damaged PEM or DER).");
        }

        var key = read switch
        {
            AsymmetricCipherKeyPair pair => pair.Private,
            AsymmetricKeyParameter parameter => parameter,
            _ => null,
        };
        if (key is not ECPrivateKeyParameters ec)
        {
            throw new OmsKeyException("Only elliptic curve (ECDSA) private keys are supported.");
        }

        return new OmsPrivateKey(ec, OmsCurves.FromOid(ec.PublicKeyParamSet));
    }

    public static OmsPrivateKey FromFile(string path, string? passphrase = null) => FromPem(File.ReadAllText(path), passphrase);

    /// <summary>Unencrypted PKCS#8 PEM ('\n' line ends).</summary>
    public string ToPkcs8Pem() => OmsPublicKey.ToPem("PRIVATE KEY", PrivateKeyInfoFactory.CreatePrivateKeyInfo(_key).GetDerEncoded());

    /// <summary>ASN.1 DER ECDSA signature over <paramref name="data"/> with the curve's hash; deterministic (RFC 6979).</summary>
    public byte[] SignDer(ReadOnlySpan<byte> data)
    {
        var signer = new DsaDigestSigner(new ECDsaSigner(new HMacDsaKCalculator(OmsCurves.Digest(Curve))), OmsCurves.Digest(Curve));
        signer.Init(true, _key);
        signer.BlockUpdate(data);
        return signer.GenerateSignature();
    }

    private sealed class Passphrase(string value) : IPasswordFinder
    {
        public char[] GetPassword() => value.ToCharArray();
    }
}
