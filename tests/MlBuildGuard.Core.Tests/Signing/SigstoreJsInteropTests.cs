using System.Text.Json.Nodes;
using MlBuildGuard.Core.Signing;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests.Signing;

/// <summary>
/// SPEC §6: bundles written here verify with Sigstore's JavaScript verifier (P-256). <see cref="OmsSigner"/>'s bundles are
/// checked out of process by <c>@sigstore/bundle</c> + <c>@sigstore/verify</c> (tests/tools/schema-validation/sigstore-verify.mjs),
/// trusting only the signer's public key, and that verifier does reject another key and a changed payload.
/// </summary>
/// <remarks>
/// P-256 only, as the specification asks. P-384 and P-521 bundles are not tested here because the JavaScript verifier
/// cannot verify them: it checks a DSSE signature with Node's <c>crypto.verify</c> and no digest name, which for EC keys
/// means SHA-256, while OMS signs P-384 with SHA-384 and P-521 with SHA-512 (the reference implementation's own P-384
/// golden bundle fails there the same way).
/// </remarks>
public sealed class SigstoreJsInteropTests
{
    private static string WritePublicKey(TempDirectory temp, string name, OmsPrivateKey key)
    {
        var path = temp.Combine(name);
        File.WriteAllText(path, key.PublicKey.Pem);
        return path;
    }

    private static string SignedFileModel(TempDirectory temp, OmsPrivateKey key)
    {
        temp.Write("model.onnx", "onnx bytes");
        return OmsSigner.SignToFile(temp.Combine("model.onnx"), key);
    }

    [Theory]
    [InlineData("model.onnx")]
    [InlineData("folder")]
    public void A_P256_bundle_of_a_file_or_folder_verifies(string model)
    {
        using var temp = new TempDirectory("mlguard-sigstore-js");
        temp.Write("model.onnx", "onnx bytes");
        temp.Write("folder/weights.bin", "weights");
        temp.Write("folder/config/tokenizer.json", "{}");
        temp.Write("folder/.git/HEAD", "ref: main");
        var key = OmsPrivateKey.Generate(OmsCurve.P256);
        var publicKey = WritePublicKey(temp, "signer.pub.pem", key);

        var signature = OmsSigner.SignToFile(temp.Combine(model), key);
        var (exitCode, output) = SchemaValidator.SigstoreVerify(signature, publicKey);

        Assert.True(exitCode == 0, output);
        Assert.Equal("verified", output.Trim());
    }

    [Fact]
    public void The_bundle_does_not_verify_with_another_P256_key()
    {
        using var temp = new TempDirectory("mlguard-sigstore-js");
        var signature = SignedFileModel(temp, OmsPrivateKey.Generate(OmsCurve.P256));
        var otherKey = WritePublicKey(temp, "other.pub.pem", OmsPrivateKey.Generate(OmsCurve.P256));

        var (exitCode, output) = SchemaValidator.SigstoreVerify(signature, otherKey);

        // The script files the given key under the bundle's hint, so this is the ECDSA check failing, not a key lookup.
        Assert.True(exitCode == 1, output);
        Assert.Contains("SIGNATURE_ERROR", output);
    }

    [Fact]
    public void A_bundle_whose_payload_changed_by_one_byte_does_not_verify()
    {
        using var temp = new TempDirectory("mlguard-sigstore-js");
        var key = OmsPrivateKey.Generate(OmsCurve.P256);
        var signature = SignedFileModel(temp, key);
        var publicKey = WritePublicKey(temp, "signer.pub.pem", key);
        var bundle = JsonNode.Parse(File.ReadAllText(signature))!.AsObject();
        var envelope = bundle["dsseEnvelope"]!.AsObject();
        var payload = Convert.FromBase64String(envelope["payload"]!.GetValue<string>());

        // Control: the bundle rewritten without a change still verifies, so the failure below is the changed byte.
        var untouched = temp.Combine("untouched.sig");
        File.WriteAllText(untouched, bundle.ToJsonString());
        var (controlCode, controlOutput) = SchemaValidator.SigstoreVerify(untouched, publicKey);
        Assert.True(controlCode == 0, controlOutput);

        payload[payload.Length / 2] ^= 0x01;
        envelope["payload"] = Convert.ToBase64String(payload);
        var tampered = temp.Combine("tampered.sig");
        File.WriteAllText(tampered, bundle.ToJsonString());

        var (exitCode, output) = SchemaValidator.SigstoreVerify(tampered, publicKey);

        Assert.True(exitCode == 1, output);
        Assert.Contains("SIGNATURE_ERROR", output);
    }
}
