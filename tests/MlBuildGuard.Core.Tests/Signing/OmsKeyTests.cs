using System.Text;
using MlBuildGuard.Core.Signing;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests.Signing;

/// <summary>PEM keys (plain and encrypted), unsupported keys, and interop of signatures with OpenSSL out of process.</summary>
public sealed class OmsKeyTests
{
    private const string Passphrase = "correct horse battery";

    private static string OpenSsl(TempDirectory temp, params string[] arguments)
    {
        var (code, output) = OmsTestData.Run("openssl", arguments);
        Assert.True(code == 0, "openssl " + string.Join(' ', arguments) + " failed: " + output);
        return output;
    }

    [Fact]
    public void An_encrypted_key_asking_for_billions_of_iterations_is_refused_before_any_work()
    {
        using var ec = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var pem = ec.ExportEncryptedPkcs8PrivateKeyPem(Passphrase, new System.Security.Cryptography.PbeParameters(
            System.Security.Cryptography.PbeEncryptionAlgorithm.Aes128Cbc, System.Security.Cryptography.HashAlgorithmName.SHA256, 1000));
        // The same key with its PBKDF2 iteration count raised to 2^31 - 1, everything else as written.
        var der = Convert.FromBase64String(string.Concat(pem.Split('\n').Where(l => !l.StartsWith("-----", StringComparison.Ordinal))));
        var info = Org.BouncyCastle.Asn1.Pkcs.EncryptedPrivateKeyInfo.GetInstance(der);
        var pbes2 = Org.BouncyCastle.Asn1.Pkcs.PbeS2Parameters.GetInstance(info.EncryptionAlgorithm.Parameters);
        var pbkdf2 = Org.BouncyCastle.Asn1.Pkcs.Pbkdf2Params.GetInstance(pbes2.KeyDerivationFunc.Parameters);
        var costly = new Org.BouncyCastle.Asn1.Pkcs.PbeS2Parameters(
            new Org.BouncyCastle.Asn1.Pkcs.KeyDerivationFunc(Org.BouncyCastle.Asn1.Pkcs.PkcsObjectIdentifiers.IdPbkdf2,
                new Org.BouncyCastle.Asn1.Pkcs.Pbkdf2Params(pbkdf2.GetSalt(), int.MaxValue, pbkdf2.Prf)),
            pbes2.EncryptionScheme);
        var forged = new Org.BouncyCastle.Asn1.Pkcs.EncryptedPrivateKeyInfo(
            new Org.BouncyCastle.Asn1.X509.AlgorithmIdentifier(Org.BouncyCastle.Asn1.Pkcs.PkcsObjectIdentifiers.IdPbeS2, costly), info.GetEncryptedData());
        var text = $"-----BEGIN ENCRYPTED PRIVATE KEY-----\n{Convert.ToBase64String(forged.GetDerEncoded(), Base64FormattingOptions.InsertLineBreaks)}\n-----END ENCRYPTED PRIVATE KEY-----\n";

        var e = Assert.Throws<OmsKeyException>(() => OmsPrivateKey.FromPem(text, Passphrase));

        Assert.Contains("2147483647 key-derivation iterations", e.Message, StringComparison.Ordinal);
        Assert.Equal(OmsCurve.P256, OmsPrivateKey.FromPem(pem, Passphrase).Curve); // the real key still reads
    }

    [Theory]
    [InlineData("P-256", OmsCurve.P256)]
    [InlineData("P-384", OmsCurve.P384)]
    [InlineData("P-521", OmsCurve.P521)]
    public void OpenSsl_keys_load_plain_and_encrypted_and_hint_matches_openssl_pem(string opensslCurve, OmsCurve curve)
    {
        using var temp = new TempDirectory("oms-keys");
        var plain = temp.Combine("plain.pem");
        var pkcs8 = temp.Combine("pkcs8-enc.pem");
        var sec1 = temp.Combine("sec1-enc.pem");
        var pub = temp.Combine("pub.pem");
        OpenSsl(temp, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:" + opensslCurve, "-out", plain);
        OpenSsl(temp, "pkey", "-in", plain, "-aes-256-cbc", "-passout", "pass:" + Passphrase, "-out", pkcs8);
        OpenSsl(temp, "ec", "-in", plain, "-aes256", "-passout", "pass:" + Passphrase, "-out", sec1);
        OpenSsl(temp, "pkey", "-in", plain, "-pubout", "-out", pub);
        Assert.Contains("ENCRYPTED PRIVATE KEY", File.ReadAllText(pkcs8));
        Assert.Contains("Proc-Type: 4,ENCRYPTED", File.ReadAllText(sec1));

        var publicKey = OmsPublicKey.FromFile(pub);
        Assert.Equal(curve, publicKey.Curve);
        Assert.Equal(File.ReadAllText(pub), publicKey.Pem); // OpenSSL's PEM is the canonical form the hint hashes
        foreach (var (path, passphrase) in new[] { (plain, (string?)null), (pkcs8, Passphrase), (sec1, Passphrase) })
        {
            var key = OmsPrivateKey.FromFile(path, passphrase);
            Assert.Equal(curve, key.Curve);
            Assert.Equal(publicKey.Hint, key.PublicKey.Hint);
        }

        var reread = OmsPrivateKey.FromPem(OmsPrivateKey.FromFile(plain).ToPkcs8Pem());
        Assert.Equal(publicKey.Hint, reread.PublicKey.Hint);
    }

    [Fact]
    public void Wrong_or_missing_passphrase_fails_without_leaking_key_material()
    {
        using var temp = new TempDirectory("oms-keys");
        var plain = temp.Combine("plain.pem");
        var encrypted = temp.Combine("enc.pem");
        OpenSsl(temp, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", plain);
        OpenSsl(temp, "pkey", "-in", plain, "-aes-256-cbc", "-passout", "pass:" + Passphrase, "-out", encrypted);
        var text = File.ReadAllText(encrypted);

        var wrong = Assert.Throws<OmsKeyException>(() => OmsPrivateKey.FromPem(text, "not the passphrase"));
        var missing = Assert.Throws<OmsKeyException>(() => OmsPrivateKey.FromPem(text));
        var damaged = Assert.Throws<OmsKeyException>(() => OmsPrivateKey.FromPem(File.ReadAllText(plain).Replace("A", "B", StringComparison.Ordinal)));

        var secrets = File.ReadAllLines(plain).Concat(text.Split('\n')).Where(l => l.Length > 8 && !l.StartsWith("-----", StringComparison.Ordinal)).ToList();
        foreach (var error in new Exception[] { wrong, missing, damaged })
        {
            for (var e = error; e is not null; e = e.InnerException)
            {
                Assert.DoesNotContain("not the passphrase", e.Message);
                Assert.DoesNotContain(Passphrase, e.Message);
                Assert.All(secrets, s => Assert.DoesNotContain(s, e.Message));
            }
        }

        Assert.DoesNotContain("PRIVATE", OmsPrivateKey.FromFile(plain).ToString());
    }

    [Theory]
    [InlineData("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:secp256k1")]
    [InlineData("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048")]
    [InlineData("genpkey", "-algorithm", "ED25519", null, null)]
    public void Unsupported_keys_are_rejected(params string?[] generate)
    {
        using var temp = new TempDirectory("oms-keys");
        var priv = temp.Combine("k.pem");
        var pub = temp.Combine("pub.pem");
        OpenSsl(temp, [.. generate.OfType<string>(), "-out", priv]);
        OpenSsl(temp, "pkey", "-in", priv, "-pubout", "-out", pub);

        Assert.Throws<OmsKeyException>(() => OmsPrivateKey.FromFile(priv));
        Assert.Throws<OmsKeyException>(() => OmsPublicKey.FromFile(pub));
    }

    [Theory]
    [InlineData("")]
    [InlineData("no pem here")]
    [InlineData("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")]
    public void Garbage_public_keys_are_rejected(string pem)
    {
        Assert.Throws<OmsKeyException>(() => OmsPublicKey.FromPem(pem));
    }

    [Theory]
    [InlineData(OmsCurve.P256, "-sha256")]
    [InlineData(OmsCurve.P384, "-sha384")]
    [InlineData(OmsCurve.P521, "-sha512")]
    public void OpenSsl_verifies_the_DSSE_PAE_signature_out_of_process(OmsCurve curve, string digest)
    {
        using var temp = new TempDirectory("oms-openssl");
        var model = temp.Write("model/weights.bin", "weights");
        var key = OmsPrivateKey.Generate(curve);
        var bundle = OmsSigner.Sign(Path.GetDirectoryName(model)!, key);

        var pae = temp.Combine("pae.bin");
        var sig = temp.Combine("sig.der");
        var pub = temp.Combine("pub.pem");
        File.WriteAllBytes(pae, Dsse.Pae(bundle.PayloadType, bundle.Payload));
        File.WriteAllBytes(sig, bundle.Signatures[0].Signature);
        File.WriteAllText(pub, key.PublicKey.Pem);
        Assert.StartsWith("DSSEv1 28 application/vnd.in-toto+json " + bundle.Payload.Length + " {", Encoding.UTF8.GetString(File.ReadAllBytes(pae)));

        var (code, output) = OmsTestData.Run("openssl", "dgst", digest, "-verify", pub, "-signature", sig, pae);
        Assert.True(code == 0, output);
        Assert.Contains("Verified OK", output);

        // And OpenSSL rejects it once the PAE changes, so the check above can fail.
        OmsTestData.FlipFirstByte(pae);
        var (badCode, badOutput) = OmsTestData.Run("openssl", "dgst", digest, "-verify", pub, "-signature", sig, pae);
        Assert.NotEqual(0, badCode);
        Assert.DoesNotContain("Verified OK", badOutput);
    }

    [Fact]
    public void OpenSsl_signature_over_PAE_verifies_here()
    {
        using var temp = new TempDirectory("oms-openssl");
        var priv = temp.Combine("k.pem");
        OpenSsl(temp, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", priv);
        var pae = Dsse.Pae(OmsConstants.InTotoPayloadType, "{\"x\":1}"u8);
        File.WriteAllBytes(temp.Combine("pae.bin"), pae);
        OpenSsl(temp, "dgst", "-sha256", "-sign", priv, "-out", temp.Combine("sig.der"), temp.Combine("pae.bin"));

        var key = OmsPrivateKey.FromFile(priv).PublicKey;
        var sig = File.ReadAllBytes(temp.Combine("sig.der"));
        Assert.True(key.VerifyDer(pae, sig));
        pae[^2] ^= 1;
        Assert.False(key.VerifyDer(pae, sig));
    }
}
