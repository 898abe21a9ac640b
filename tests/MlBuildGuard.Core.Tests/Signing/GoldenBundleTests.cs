using MlBuildGuard.Core.Signing;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests.Signing;

/// <summary>Bundles written by the reference implementation (golden/*-elliptic-key) and the OMS spec's test vectors.</summary>
public sealed class GoldenBundleTests
{
    private const string GoldenHint = "e8450dec4eb99dae995da9af1bc2cc9f76ed669ee2e744f57abba763df3e3f8e";

    public static TheoryData<string> EllipticKeyGoldens()
    {
        var data = new TheoryData<string>();
        foreach (var dir in Directory.GetDirectories(OmsTestData.Path_("golden"), "*-elliptic-key").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(dir));
        }

        return data;
    }

    [Fact]
    public void Four_elliptic_key_goldens_are_present()
    {
        Assert.Equal(["v0.3.1-elliptic-key", "v1.0.0-elliptic-key", "v1.0.1-elliptic-key", "v1.1.0-elliptic-key"], Directory.GetDirectories(OmsTestData.Path_("golden"), "*-elliptic-key").Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Golden_public_key_hint_matches_the_reference()
    {
        var key = OmsPublicKey.FromPem(OmsTestData.PublicKeyPem);
        Assert.Equal(OmsCurve.P384, key.Curve);
        Assert.Equal(GoldenHint, key.Hint);
        Assert.Equal(key.Hint, OmsPrivateKey.FromPem(OmsTestData.PrivateKeyPem).PublicKey.Hint);
    }

    [Theory]
    [MemberData(nameof(EllipticKeyGoldens))]
    public void Golden_bundle_verifies_and_fails_after_one_byte_changes(string golden)
    {
        using var temp = new TempDirectory("oms-golden");
        var folder = OmsTestData.CopyGolden(temp, golden);
        var key = OmsPublicKey.FromPem(OmsTestData.PublicKeyPem);
        var (model, options) = ModelOf(folder);

        var result = OmsVerifier.VerifyFile(model, Path.Combine(folder, "model.sig"), key, options);
        Assert.True(result.IsValid, result.Message);
        Assert.Equal(OmsVerificationFailure.None, result.Failure);

        OmsTestData.FlipFirstByte(Path.Combine(folder, "signme-1"));
        var tampered = OmsVerifier.VerifyFile(model, Path.Combine(folder, "model.sig"), key, options);
        Assert.Equal(OmsVerificationFailure.ContentMismatch, tampered.Failure);
        Assert.Single(tampered.ChangedFiles);
        Assert.Empty(tampered.ExtraFiles);
        Assert.Empty(tampered.MissingFiles);
    }

    [Theory]
    [MemberData(nameof(EllipticKeyGoldens))]
    public void Golden_bundle_fails_when_the_signature_file_is_flipped(string golden)
    {
        using var temp = new TempDirectory("oms-golden");
        var folder = OmsTestData.CopyGolden(temp, golden);
        var (model, options) = ModelOf(folder);
        var bundle = SigstoreBundle.Parse(File.ReadAllBytes(Path.Combine(folder, "model.sig")));
        var sig = bundle.Signatures[0].Signature.ToArray();
        sig[^1] ^= 0x01;
        var forged = (bundle with { Signatures = [new DsseSignature(sig, "")], PublicKeyHint = GoldenHint, LegacyPublicKeyPem = null }).ToJsonBytes();

        var result = OmsVerifier.Verify(model, forged, OmsPublicKey.FromPem(OmsTestData.PublicKeyPem), options);
        Assert.Equal(OmsVerificationFailure.BadSignature, result.Failure);
    }

    /// <summary>v0.3.1 and v1.0.0 sign the single file signme-1; v1.0.1 needs the caller to ignore ignore-me (no ignore_paths yet).</summary>
    private static (string Model, OmsVerifyOptions Options) ModelOf(string folder) => Path.GetFileName(folder) switch
    {
        "v0.3.1-elliptic-key" or "v1.0.0-elliptic-key" => (Path.Combine(folder, "signme-1"), new OmsVerifyOptions()),
        "v1.0.1-elliptic-key" => (folder, new OmsVerifyOptions { IgnorePaths = ["ignore-me"] }),
        _ => (folder, new OmsVerifyOptions()),
    };

    [Fact]
    public void Spec_valid_key_vector_is_accepted_and_fails_after_one_byte_changes()
    {
        using var temp = new TempDirectory("oms-spec");
        var folder = OmsTestData.CopyGolden(temp, "v1.1.0-elliptic-key"); // the same signme-1/signme-2 model
        var key = OmsPublicKey.FromPem(OmsTestData.PublicKeyPem);
        var bundle = File.ReadAllBytes(OmsTestData.Path_("spec-test-vectors", "valid__key.bundle.json"));
        var options = new OmsVerifyOptions { IgnorePaths = ["model.sig"] }; // the golden's own bundle, not part of the model

        var result = OmsVerifier.Verify(folder, bundle, key, options);
        Assert.True(result.IsValid, result.Message);

        File.AppendAllText(Path.Combine(folder, "signme-2"), "x");
        Assert.Equal(["signme-2"], OmsVerifier.Verify(folder, bundle, key, options).ChangedFiles);
    }

    [Theory]
    [InlineData("invalid__empty.bundle.json", OmsVerificationFailure.MalformedBundle)]
    [InlineData("invalid__missing-envelope.bundle.json", OmsVerificationFailure.MalformedBundle)]
    [InlineData("invalid__missing-verification-material.bundle.json", OmsVerificationFailure.MalformedBundle)]
    // A keyless Sigstore bundle without tlogEntries: rejected here because the key method cannot verify it at all.
    [InlineData("invalid__missing-tlog-entries.bundle.json", OmsVerificationFailure.UnsupportedMethod)]
    [InlineData("invalid-payload__wrong-predicate.bundle.json", null)]
    public void Spec_invalid_vectors_are_rejected(string vector, OmsVerificationFailure? expected)
    {
        using var temp = new TempDirectory("oms-spec");
        var folder = OmsTestData.CopyGolden(temp, "v1.1.0-elliptic-key");
        var bundle = File.ReadAllBytes(OmsTestData.Path_("spec-test-vectors", vector));

        var result = OmsVerifier.Verify(folder, bundle, OmsPublicKey.FromPem(OmsTestData.PublicKeyPem), new OmsVerifyOptions { IgnorePaths = ["model.sig"] });

        Assert.False(result.IsValid);
        if (expected is { } failure)
        {
            Assert.Equal(failure, result.Failure);
        }
        else
        {
            // Edited without re-signing in some suites; either way it must never pass.
            Assert.Contains(result.Failure, new[] { OmsVerificationFailure.BadSignature, OmsVerificationFailure.MalformedBundle });
        }
    }

    [Fact]
    public void Wrong_predicate_vector_is_rejected_for_its_predicate_when_the_signature_holds()
    {
        var bundle = SigstoreBundle.Parse(File.ReadAllBytes(OmsTestData.Path_("spec-test-vectors", "invalid-payload__wrong-predicate.bundle.json")));
        var error = Assert.Throws<OmsFormatException>(() => InTotoStatement.Parse(bundle.Payload));
        Assert.Contains("predicate", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("valid__certificate.bundle.json")]
    [InlineData("valid__sigstore.bundle.json")]
    public void Certificate_and_keyless_vectors_are_reported_as_unsupported_by_the_key_verifier(string vector)
    {
        using var temp = new TempDirectory("oms-spec");
        var folder = OmsTestData.CopyGolden(temp, "v1.1.0-elliptic-key");
        var bundle = File.ReadAllBytes(OmsTestData.Path_("spec-test-vectors", vector));
        var result = OmsVerifier.Verify(folder, bundle, OmsPublicKey.FromPem(OmsTestData.PublicKeyPem));
        Assert.Equal(OmsVerificationFailure.UnsupportedMethod, result.Failure);
    }
}
