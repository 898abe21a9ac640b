using System.Text;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Signing;

namespace MlBuildGuard.Fuzz.Tests;

/// <summary>
/// Signatures and keys: OMS bundles (MLG603), the DSSE payload inside a validly signed bundle (MLG603), PEM public
/// and private keys (MLG605), through the verifier and key readers the build and <c>mlguard verify</c> use.
/// </summary>
public sealed class SigningFuzzTests : IDisposable
{
    private readonly ITestOutputHelper _output;

    private readonly TempDirectory _root = new("mlguard-fuzz-sign");
    private readonly OmsPrivateKey _key = OmsPrivateKey.FromPem(Samples.Keys.Pkcs8);

    public SigningFuzzTests(ITestOutputHelper output)
    {
        _output = output;
        _root.Write("model.onnx", "not really onnx, but signed bytes");
        _root.Write("folder/weights.bin", "weights");
        _root.Write("folder/config.json", "{}");
    }

    public void Dispose() => _root.Dispose();

    private string File1 => _root.Combine("model.onnx");

    private string Folder => _root.Combine("folder");

    private void Verify(string model, byte[] bundle)
    {
        var result = OmsVerifier.Verify(model, bundle, _key.PublicKey, new OmsVerifyOptions { SignaturePath = model + ".sig" });
        var finding = SignatureFindings.FromVerification(result, model, model + ".sig", "key.pem", new SourceLocation(model + ".sig"));
        if (result.Failure == OmsVerificationFailure.ModelUnreadable)
        {
            throw new FuzzOracleException("a signature made the model unreadable: " + result.Message);
        }

        _ = finding;
    }

    [Fact]
    public void Oms_bundles_verify_or_are_MLG603()
    {
        var samples = new[] { OmsSigner.Sign(File1, _key).ToJsonBytes(), OmsSigner.Sign(Folder, _key).ToJsonBytes() };
        Fuzzer.Run(_output, "OMS bundle", samples, input =>
        {
            Verify(File1, input);
            Verify(Folder, input);
        }, JsonMutator.Mutate);
    }

    [Fact]
    public void Dsse_payloads_signed_with_the_trusted_key_verify_or_are_MLG603()
    {
        // The statement reaches the payload parser only under a valid signature: every mutation is signed again.
        var samples = new[] { OmsSigner.Sign(File1, _key).Payload, OmsSigner.Sign(Folder, _key).Payload };
        Fuzzer.Run(_output, "DSSE payload (in-toto statement)", samples, payload =>
        {
            var bundle = SigstoreBundle.ForKey(_key.PublicKey.Hint, payload, _key.SignDer(Dsse.Pae(OmsConstants.InTotoPayloadType, payload))).ToJsonBytes();
            Verify(File1, bundle);
            Verify(Folder, bundle);
        }, JsonMutator.Mutate);
    }

    [Fact]
    public void Pem_public_keys_are_read_or_refused()
    {
        Fuzzer.Run(_output, "PEM public key", [Encoding.UTF8.GetBytes(Samples.Keys.Public)], input =>
        {
            var text = Encoding.UTF8.GetString(input);
            SignatureFindings.HoldsPrivateKey(text);
            Oracle.OnlyThrows<OmsKeyException>(() => OmsPublicKey.FromPem(text));
        }, (random, sample) => TextMutator.Mutate(random, sample, Samples.PemTokens));
    }

    [Fact]
    public void Pem_private_keys_are_read_or_MLG605()
    {
        var samples = new[] { Samples.Keys.Pkcs8, Samples.Keys.Sec1, Samples.Keys.Encrypted }.Select(Encoding.UTF8.GetBytes).ToArray();
        Fuzzer.Run(_output, "PEM private key", samples, input =>
        {
            var text = Encoding.UTF8.GetString(input);
            SignatureFindings.HoldsPrivateKey(text);
            Oracle.OnlyThrows<OmsKeyException>(() => OmsPrivateKey.FromPem(text, Samples.Passphrase));
            Oracle.OnlyThrows<OmsKeyException>(() => OmsPrivateKey.FromPem(text));
        }, (random, sample) => TextMutator.Mutate(random, sample, Samples.PemTokens));
    }
}
