using System.Text.Json.Nodes;
using MlBuildGuard.Core.Signing;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests.Signing;

/// <summary>
/// Bundles written by <see cref="OmsSigner"/> validate against the OMS v1.0 JSON schemas (bundle, envelope, statement,
/// predicate) with an independent validator (ajv, draft 2020-12), and that validator does reject a broken bundle.
/// </summary>
public sealed class OmsSchemaTests
{
    [Theory]
    [InlineData(OmsCurve.P256)]
    [InlineData(OmsCurve.P384)]
    [InlineData(OmsCurve.P521)]
    public void Signed_file_and_folder_bundles_match_the_OMS_schemas(OmsCurve curve)
    {
        using var temp = new TempDirectory("mlguard-oms-schema");
        temp.Write("model.onnx", "onnx bytes");
        temp.Write("folder/weights.bin", "weights");
        temp.Write("folder/config/tokenizer.json", "{}");
        var key = OmsPrivateKey.Generate(curve);

        foreach (var model in new[] { temp.Combine("model.onnx"), temp.Combine("folder") })
        {
            var signature = OmsSigner.SignToFile(model, key);
            var (exitCode, output) = SchemaValidator.OmsBundle(signature);
            Assert.True(exitCode == 0, output);
        }
    }

    [Fact]
    public void The_specification_key_example_and_the_current_golden_bundle_validate()
    {
        // Older goldens (v0.2) predate the current statement layout; the schema says so itself, so they are not checked.
        foreach (var bundle in new[]
                 {
                     Path.Combine(OmsTestData.Root, "spec-test-vectors", "valid__key.bundle.json"),
                     Path.Combine(OmsTestData.Root, "golden", "v1.1.0-elliptic-key", "model.sig"),
                 })
        {
            var (exitCode, output) = SchemaValidator.OmsBundle(bundle);
            Assert.True(exitCode == 0, output);
        }
    }

    [Theory]
    [InlineData("mediaType")]
    [InlineData("verificationMaterial")]
    [InlineData("dsseEnvelope")]
    public void A_bundle_missing_a_required_field_fails(string field)
    {
        using var temp = new TempDirectory("mlguard-oms-schema");
        temp.Write("model.onnx", "onnx bytes");
        var signature = OmsSigner.SignToFile(temp.Combine("model.onnx"), OmsPrivateKey.Generate());
        var bundle = JsonNode.Parse(File.ReadAllText(signature))!.AsObject();
        bundle.Remove(field);
        File.WriteAllText(signature, bundle.ToJsonString());

        var (exitCode, output) = SchemaValidator.OmsBundle(signature);

        Assert.Equal(1, exitCode);
        Assert.Contains(field, output);
    }

    [Fact]
    public void A_statement_with_the_wrong_predicate_type_fails()
    {
        using var temp = new TempDirectory("mlguard-oms-schema");
        temp.Write("model.onnx", "onnx bytes");
        var signature = OmsSigner.SignToFile(temp.Combine("model.onnx"), OmsPrivateKey.Generate());
        var bundle = JsonNode.Parse(File.ReadAllText(signature))!.AsObject();
        var envelope = bundle["dsseEnvelope"]!.AsObject();
        var statement = JsonNode.Parse(Convert.FromBase64String(envelope["payload"]!.GetValue<string>()))!.AsObject();
        statement["predicateType"] = "https://example.test/not-oms";
        envelope["payload"] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(statement.ToJsonString()));
        File.WriteAllText(signature, bundle.ToJsonString());

        var (exitCode, output) = SchemaValidator.OmsBundle(signature);

        Assert.Equal(1, exitCode);
        Assert.Contains("INVALID OMS statement", output);
    }
}
