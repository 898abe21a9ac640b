using System.Text;
using MlBuildGuard.Core.Signing;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests.Signing;

/// <summary>Sign → verify round trips and every kind of tampering.</summary>
public sealed class SignVerifyTests
{
    private static string MakeModel(TempDirectory temp)
    {
        temp.Write("model/weights.bin", "weights");
        temp.Write("model/config.json", "{\"a\":1}");
        temp.Write("model/tokenizer/vocab.txt", "a b c");
        temp.Write("model/.git/HEAD", "ref: main");
        return temp.Combine("model");
    }

    [Theory]
    [InlineData(OmsCurve.P256)]
    [InlineData(OmsCurve.P384)]
    [InlineData(OmsCurve.P521)]
    public void Round_trip_verifies_for_each_curve(OmsCurve curve)
    {
        using var temp = new TempDirectory("oms-sign");
        var model = MakeModel(temp);
        var key = OmsPrivateKey.Generate(curve);

        var signaturePath = OmsSigner.SignToFile(model, key);
        Assert.Equal(model + ".sig", signaturePath);

        var result = OmsVerifier.VerifyFile(model, signaturePath, key.PublicKey);
        Assert.True(result.IsValid, result.Message);
        Assert.Equal("model", result.Statement!.SubjectName);
        Assert.Equal(["config.json", "tokenizer/vocab.txt", "weights.bin"], result.Statement.Manifest.Resources.Select(r => r.Name));

        // A public key read back from its PEM verifies too, and the bundle's hint is that PEM's hash.
        var reloaded = OmsPublicKey.FromPem(key.PublicKey.Pem);
        Assert.True(OmsVerifier.VerifyFile(model, signaturePath, reloaded).IsValid);
        Assert.Equal(reloaded.Hint, SigstoreBundle.Parse(File.ReadAllBytes(signaturePath)).PublicKeyHint);
    }

    [Fact]
    public void Bundle_has_the_key_method_shape()
    {
        using var temp = new TempDirectory("oms-sign");
        var model = MakeModel(temp);
        var bundle = OmsSigner.Sign(model, OmsPrivateKey.Generate());
        var json = Encoding.UTF8.GetString(bundle.ToJsonBytes());

        Assert.StartsWith("{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"verificationMaterial\":{\"publicKey\":{\"hint\":\"", json);
        Assert.Contains("},\"tlogEntries\":[]},\"dsseEnvelope\":{\"payload\":\"", json);
        Assert.EndsWith("\",\"keyid\":\"\"}]}}", json);
        Assert.DoesNotContain("\\u002B", json);
        var payload = Encoding.UTF8.GetString(bundle.Payload);
        Assert.Contains("\"ignore_paths\": [", payload);
        Assert.DoesNotContain("\n}\n", payload[^3..]);
    }

    [Fact]
    public void Single_file_model_round_trips_with_resource_dot()
    {
        using var temp = new TempDirectory("oms-sign");
        var model = temp.Write("m.onnx", "onnx bytes");
        var key = OmsPrivateKey.Generate();
        var path = OmsSigner.SignToFile(model, key);
        Assert.Equal(model + ".sig", path);

        var result = OmsVerifier.VerifyFile(model, path, key.PublicKey);
        Assert.True(result.IsValid, result.Message);
        Assert.Equal(".", Assert.Single(result.Statement!.Manifest.Resources).Name);

        File.AppendAllText(model, "!");
        Assert.Equal(["."], OmsVerifier.VerifyFile(model, path, key.PublicKey).ChangedFiles);
    }

    [Fact]
    public void Content_change_is_reported_as_changed_file()
    {
        using var temp = new TempDirectory("oms-tamper");
        var model = MakeModel(temp);
        var key = OmsPrivateKey.Generate();
        var sig = OmsSigner.SignToFile(model, key);
        OmsTestData.FlipFirstByte(Path.Combine(model, "tokenizer", "vocab.txt"));

        var result = OmsVerifier.VerifyFile(model, sig, key.PublicKey);
        Assert.Equal(OmsVerificationFailure.ContentMismatch, result.Failure);
        Assert.Equal(["tokenizer/vocab.txt"], result.ChangedFiles);
        Assert.Empty(result.ExtraFiles);
        Assert.Empty(result.MissingFiles);
        Assert.Contains("tokenizer/vocab.txt", result.Message);
    }

    [Fact]
    public void Extra_and_missing_files_are_listed()
    {
        using var temp = new TempDirectory("oms-tamper");
        var model = MakeModel(temp);
        var key = OmsPrivateKey.Generate();
        var sig = OmsSigner.SignToFile(model, key);
        temp.Write("model/extra/new.bin", "new");
        File.Delete(Path.Combine(model, "config.json"));

        var result = OmsVerifier.VerifyFile(model, sig, key.PublicKey);
        Assert.Equal(OmsVerificationFailure.ContentMismatch, result.Failure);
        Assert.Equal(["extra/new.bin"], result.ExtraFiles);
        Assert.Equal(["config.json"], result.MissingFiles);
        Assert.Empty(result.ChangedFiles);
    }

    [Fact]
    public void Signature_inside_the_model_and_recorded_ignore_paths_are_honoured()
    {
        using var temp = new TempDirectory("oms-ignore");
        var model = MakeModel(temp);
        temp.Write("model/logs/run1.txt", "log");
        var key = OmsPrivateKey.Generate();
        var sig = OmsSigner.SignToFile(model, key, new OmsSignOptions { IgnorePaths = ["logs"], SignaturePath = Path.Combine(model, "model.sig") });

        var statement = InTotoStatement.Parse(SigstoreBundle.Parse(File.ReadAllBytes(sig)).Payload);
        Assert.Contains("logs", statement.Manifest.Serialization.IgnorePaths!);
        Assert.Contains("model.sig", statement.Manifest.Serialization.IgnorePaths!);
        Assert.DoesNotContain(statement.Manifest.Resources, r => r.Name.StartsWith("logs", StringComparison.Ordinal));

        // Files under an ignored path may change without breaking the signature; the verifier takes them from the bundle.
        temp.Write("model/logs/run2.txt", "more");
        File.WriteAllText(Path.Combine(model, "logs", "run1.txt"), "changed");
        Assert.True(OmsVerifier.Verify(model, File.ReadAllBytes(sig), key.PublicKey).IsValid);
        temp.Write("model/logsx", "not ignored");
        Assert.Equal(["logsx"], OmsVerifier.Verify(model, File.ReadAllBytes(sig), key.PublicKey).ExtraFiles);
    }

    [Fact]
    public void Forged_payload_is_a_bad_signature()
    {
        using var temp = new TempDirectory("oms-forge");
        var model = MakeModel(temp);
        var key = OmsPrivateKey.Generate();
        var bundle = OmsSigner.Sign(model, key);

        // The attacker changes a file and rewrites the manifest consistently, but cannot re-sign.
        File.WriteAllText(Path.Combine(model, "weights.bin"), "evil weights");
        var forgedManifest = ModelHasher.Hash(model, new ModelHashOptions());
        var forgedPayload = InTotoStatement.Create("model", forgedManifest).ToJsonBytes();
        var forged = bundle with { Payload = forgedPayload };

        var result = OmsVerifier.Verify(model, forged.ToJsonBytes(), key.PublicKey);
        Assert.Equal(OmsVerificationFailure.BadSignature, result.Failure);
        Assert.Null(result.Statement);
    }

    [Fact]
    public void Swapped_signature_is_a_bad_signature()
    {
        using var temp = new TempDirectory("oms-swap");
        var model = MakeModel(temp);
        var other = temp.Write("other/file.bin", "other");
        var key = OmsPrivateKey.Generate();
        var bundle = OmsSigner.Sign(model, key);
        var otherBundle = OmsSigner.Sign(Path.GetDirectoryName(other)!, key);

        var swapped = bundle with { Signatures = otherBundle.Signatures };
        Assert.Equal(OmsVerificationFailure.BadSignature, OmsVerifier.Verify(model, swapped.ToJsonBytes(), key.PublicKey).Failure);
    }

    [Fact]
    public void Wrong_key_and_wrong_curve_are_reported()
    {
        using var temp = new TempDirectory("oms-key");
        var model = MakeModel(temp);
        var bundle = OmsSigner.Sign(model, OmsPrivateKey.Generate(OmsCurve.P256));

        var wrongKey = OmsVerifier.Verify(model, bundle.ToJsonBytes(), OmsPrivateKey.Generate(OmsCurve.P256).PublicKey);
        Assert.Equal(OmsVerificationFailure.WrongKey, wrongKey.Failure);
        var wrongCurve = OmsVerifier.Verify(model, bundle.ToJsonBytes(), OmsPrivateKey.Generate(OmsCurve.P384).PublicKey);
        Assert.Equal(OmsVerificationFailure.WrongKey, wrongCurve.Failure);

        // Without a hint the signature check itself must catch it.
        var noHint = (bundle with { PublicKeyHint = null }).ToJsonBytes();
        Assert.Equal(OmsVerificationFailure.BadSignature, OmsVerifier.Verify(model, noHint, OmsPrivateKey.Generate(OmsCurve.P256).PublicKey).Failure);
        Assert.Equal(OmsVerificationFailure.BadSignature, OmsVerifier.Verify(model, noHint, OmsPrivateKey.Generate(OmsCurve.P521).PublicKey).Failure);
    }

    [Fact]
    public void Resources_are_verified_in_listed_order_without_resorting()
    {
        using var temp = new TempDirectory("oms-order");
        var model = MakeModel(temp);
        var key = OmsPrivateKey.Generate();
        var sorted = ModelHasher.Hash(model, new ModelHashOptions());
        var reversed = sorted with { Resources = [.. sorted.Resources.Reverse()] };
        Assert.NotEqual(sorted.RootDigest, reversed.RootDigest);

        // Signed in reverse order (as Python's component sort may list them): valid, root taken in listed order.
        var payload = InTotoStatement.Create("model", reversed).ToJsonBytes();
        var bundle = SigstoreBundle.ForKey(key.PublicKey.Hint, payload, key.SignDer(Dsse.Pae(OmsConstants.InTotoPayloadType, payload)));
        var result = OmsVerifier.Verify(model, bundle.ToJsonBytes(), key.PublicKey);
        Assert.True(result.IsValid, result.Message);
        Assert.Equal(reversed.Resources, result.Statement!.Manifest.Resources);

        // A subject digest computed over the sorted order does not match the reversed listing.
        var inconsistent = new InTotoStatement("model", sorted.RootDigest, reversed).ToJsonBytes();
        var bad = SigstoreBundle.ForKey(key.PublicKey.Hint, inconsistent, key.SignDer(Dsse.Pae(OmsConstants.InTotoPayloadType, inconsistent)));
        Assert.Equal(OmsVerificationFailure.MalformedBundle, OmsVerifier.Verify(model, bad.ToJsonBytes(), key.PublicKey).Failure);
    }

    [Theory]
    [InlineData("../outside")]
    [InlineData("/etc/passwd")]
    [InlineData("a//b")]
    [InlineData("a\\b")]
    public void Signed_bundle_with_unsafe_resource_name_is_malformed(string name)
    {
        using var temp = new TempDirectory("oms-names");
        var model = MakeModel(temp);
        var key = OmsPrivateKey.Generate();
        var manifest = new OmsManifest([new OmsResource(name, "sha256", new string('0', 64))],
            new OmsSerialization("files", "sha256", false, null, null));
        var payload = InTotoStatement.Create("model", manifest).ToJsonBytes();
        var bundle = SigstoreBundle.ForKey(key.PublicKey.Hint, payload, key.SignDer(Dsse.Pae(OmsConstants.InTotoPayloadType, payload)));

        var result = OmsVerifier.Verify(model, bundle.ToJsonBytes(), key.PublicKey);
        Assert.Equal(OmsVerificationFailure.MalformedBundle, result.Failure);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("{}")]
    [InlineData("{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.2+json\"}")]
    [InlineData("{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"verificationMaterial\":{\"publicKey\":{}},\"dsseEnvelope\":{\"payload\":\"!!\",\"payloadType\":\"x\",\"signatures\":[]}}")]
    [InlineData("{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"verificationMaterial\":{\"publicKey\":{\"hint\":5}},\"dsseEnvelope\":{}}")]
    [InlineData("{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"verificationMaterial\":{\"publicKey\":{}},\"dsseEnvelope\":{\"payload\":\"e30=\",\"payloadType\":\"application/vnd.in-toto+json\",\"signatures\":[]}}")]
    [InlineData("{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"verificationMaterial\":{\"publicKey\":{}},\"dsseEnvelope\":{\"payload\":\"e30=\",\"payloadType\":\"application/vnd.in-toto+json\",\"signatures\":[{\"sig\":\"AAAA\"}]}}")]
    public void Malformed_bundles_give_a_result_not_an_exception(string json)
    {
        using var temp = new TempDirectory("oms-malformed");
        var model = MakeModel(temp);
        var result = OmsVerifier.Verify(model, Encoding.UTF8.GetBytes(json), OmsPrivateKey.Generate().PublicKey);
        Assert.False(result.IsValid);
        Assert.Contains(result.Failure, new[] { OmsVerificationFailure.MalformedBundle, OmsVerificationFailure.BadSignature });
        Assert.False(string.IsNullOrWhiteSpace(result.Message));
    }

    [Fact]
    public void Truncated_bundles_never_throw()
    {
        using var temp = new TempDirectory("oms-truncate");
        var model = MakeModel(temp);
        var key = OmsPrivateKey.Generate();
        var bytes = OmsSigner.Sign(model, key).ToJsonBytes();
        for (var length = 0; length < bytes.Length; length += 7)
        {
            Assert.False(OmsVerifier.Verify(model, bytes.AsSpan(0, length), key.PublicKey).IsValid);
        }

        Assert.True(OmsVerifier.Verify(model, bytes, key.PublicKey).IsValid);
    }

    [Fact]
    public void Signed_but_wrong_payload_type_and_wrong_statement_are_malformed()
    {
        using var temp = new TempDirectory("oms-types");
        var model = MakeModel(temp);
        var key = OmsPrivateKey.Generate();
        var payload = OmsSigner.Sign(model, key).Payload;

        var otherType = SigstoreBundle.ForKey(key.PublicKey.Hint, payload, key.SignDer(Dsse.Pae("application/json", payload))) with { PayloadType = "application/json" };
        Assert.Equal(OmsVerificationFailure.MalformedBundle, OmsVerifier.Verify(model, otherType.ToJsonBytes(), key.PublicKey).Failure);

        var text = Encoding.UTF8.GetString(payload).Replace("https://in-toto.io/Statement/v1", "https://in-toto.io/Statement/v0.1", StringComparison.Ordinal);
        var wrongType = Encoding.UTF8.GetBytes(text);
        var signed = SigstoreBundle.ForKey(key.PublicKey.Hint, wrongType, key.SignDer(Dsse.Pae(OmsConstants.InTotoPayloadType, wrongType)));
        var result = OmsVerifier.Verify(model, signed.ToJsonBytes(), key.PublicKey);
        Assert.Equal(OmsVerificationFailure.MalformedBundle, result.Failure);
        Assert.Contains("Statement", result.Message);
    }

    [Fact]
    public void Signed_payload_with_duplicate_keys_is_malformed()
    {
        using var temp = new TempDirectory("oms-dup");
        var model = MakeModel(temp);
        var key = OmsPrivateKey.Generate();
        var text = Encoding.UTF8.GetString(OmsSigner.Sign(model, key).Payload);
        var duplicated = Encoding.UTF8.GetBytes(text.Replace("\"_type\":", "\"_type\": \"https://in-toto.io/Statement/v1\",\n  \"_type\":", StringComparison.Ordinal));
        var bundle = SigstoreBundle.ForKey(key.PublicKey.Hint, duplicated, key.SignDer(Dsse.Pae(OmsConstants.InTotoPayloadType, duplicated)));

        Assert.NotEqual(text, Encoding.UTF8.GetString(duplicated));

        // Both copies hold the right value, so only the duplicate itself can make this fail.
        var result = OmsVerifier.Verify(model, bundle.ToJsonBytes(), key.PublicKey);
        Assert.Equal(OmsVerificationFailure.MalformedBundle, result.Failure);
    }

    [Fact]
    public void Empty_model_is_not_signed()
    {
        using var temp = new TempDirectory("oms-empty");
        Directory.CreateDirectory(temp.Combine("empty"));
        Assert.Throws<ModelHashException>(() => OmsSigner.Sign(temp.Combine("empty"), OmsPrivateKey.Generate()));
    }

    [Fact]
    public void Missing_model_is_reported_as_unreadable()
    {
        using var temp = new TempDirectory("oms-missing");
        var model = MakeModel(temp);
        var key = OmsPrivateKey.Generate();
        var bytes = OmsSigner.Sign(model, key).ToJsonBytes();
        Directory.Delete(model, recursive: true);
        Assert.Equal(OmsVerificationFailure.ModelUnreadable, OmsVerifier.Verify(model, bytes, key.PublicKey).Failure);
    }
}
