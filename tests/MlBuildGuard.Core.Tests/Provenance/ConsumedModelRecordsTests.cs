using System.Text.Json;
using MlBuildGuard.Core.Bom;
using MlBuildGuard.Core.Provenance;
using MlBuildGuard.Core.Signing;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests.Provenance;

/// <summary>Consumed models (<c>MlModel</c>) in the provenance and the ML-BOM: digest, signature verdict, signing key.</summary>
public sealed class ConsumedModelRecordsTests
{
    private static readonly string KeyHint = new('a', 64);

    private static BuildMaterials WithConsumed() => SampleMaterials.Create() with
    {
        ConsumedModels =
        [
            new ConsumedModelMaterial("models/encoder.onnx", SampleMaterials.Sha256("encoder"), 42, ConsumedModelMaterials.Verified, KeyHint),
            new ConsumedModelMaterial("models/tokenizer/vocab.txt", SampleMaterials.Sha256("vocab"), 7, ConsumedModelMaterials.NotChecked, null),
        ],
    };

    [Fact]
    public void Provenance_lists_each_consumed_model_file_with_its_digest_and_verdict()
    {
        using var document = JsonDocument.Parse(ProvenanceStatement.Write(WithConsumed()));
        var dependencies = document.RootElement.GetProperty("predicate").GetProperty("buildDefinition").GetProperty("resolvedDependencies")
            .EnumerateArray().Where(d => d.TryGetProperty("annotations", out var a) && a.TryGetProperty("kind", out _)).ToList();

        Assert.Equal(["models/encoder.onnx", "models/tokenizer/vocab.txt"], dependencies.Select(d => d.GetProperty("name").GetString()));
        Assert.Equal(SampleMaterials.Sha256("encoder"), dependencies[0].GetProperty("digest").GetProperty("sha256").GetString());
        var verified = dependencies[0].GetProperty("annotations");
        Assert.Equal("model", verified.GetProperty("kind").GetString());
        Assert.Equal("verified", verified.GetProperty("signature").GetString());
        Assert.Equal(KeyHint, verified.GetProperty("keyFingerprint").GetString());
        Assert.Equal(42, verified.GetProperty("size").GetInt64());
        Assert.Equal("not checked", dependencies[1].GetProperty("annotations").GetProperty("signature").GetString());
        Assert.False(dependencies[1].GetProperty("annotations").TryGetProperty("keyFingerprint", out _));
    }

    [Fact]
    public void The_bom_has_consumed_models_as_required_components_the_produced_models_depend_on()
    {
        using var temp = new TempDirectory("mlguard-bom");
        var bytes = MlBom.Write(WithConsumed());
        using var document = JsonDocument.Parse(bytes);
        var root = document.RootElement;
        var encoder = root.GetProperty("components").EnumerateArray().Single(c => c.GetProperty("bom-ref").GetString() == "consumed-model:models/encoder.onnx");
        Assert.Equal("machine-learning-model", encoder.GetProperty("type").GetString());
        Assert.Equal("required", encoder.GetProperty("scope").GetString());
        Assert.Equal(SampleMaterials.Sha256("encoder"), encoder.GetProperty("hashes")[0].GetProperty("content").GetString());
        var properties = encoder.GetProperty("properties").EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!, p => p.GetProperty("value").GetString());
        Assert.Equal("verified", properties["mlbuildguard:signature"]);
        Assert.Equal(KeyHint, properties["mlbuildguard:keyFingerprint"]);

        var madeFrom = root.GetProperty("dependencies").EnumerateArray()
            .Single(d => d.GetProperty("ref").GetString() == "model:bin/Release/net10.0/model.zip")
            .GetProperty("dependsOn").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Contains("consumed-model:models/encoder.onnx", madeFrom);
        Assert.Contains("consumed-model:models/tokenizer/vocab.txt", madeFrom);

        var file = temp.Combine("consumed.cdx.json");
        File.WriteAllBytes(file, bytes);
        var (exitCode, output) = SchemaValidator.CycloneDx16(file);
        Assert.True(exitCode == 0, output);
    }

    [Fact]
    public void Collect_hashes_each_file_of_a_folder_and_marks_what_the_signature_check_verified()
    {
        using var temp = new TempDirectory("mlguard-consumed");
        var single = temp.Write("models/encoder.onnx", "encoder");
        temp.Write("models/tokenizer/vocab.txt", "vocab");
        temp.Write("models/tokenizer/config.json", "{}");
        var verifiedBy = new Dictionary<string, string> { [single] = KeyHint };

        var materials = ConsumedModelMaterials.Collect([single, temp.Combine("models", "tokenizer"), temp.Combine("models", "gone.onnx")],
            verifiedBy, temp.Path, cacheFilePath: null);

        Assert.Equal(["models/encoder.onnx", "models/tokenizer/config.json", "models/tokenizer/vocab.txt"], materials.Select(m => m.Name));
        Assert.Equal(SampleMaterials.Sha256("encoder"), materials[0].Sha256);
        Assert.Equal((ConsumedModelMaterials.Verified, KeyHint), (materials[0].Signature, materials[0].KeyFingerprint));
        Assert.All(materials.Skip(1), m => Assert.Equal((ConsumedModelMaterials.NotChecked, (string?)null), (m.Signature, m.KeyFingerprint)));
    }

    [Fact]
    public void The_signature_guard_names_the_trusted_key_that_signed_also_from_its_cache()
    {
        using var temp = new TempDirectory("mlguard-consumed");
        var model = temp.Write("model.onnx", "weights");
        var other = OmsPrivateKey.Generate();
        var signer = OmsPrivateKey.Generate();
        OmsSigner.SignToFile(model, signer);
        var keys = new[] { temp.Write("other.pub", other.PublicKey.Pem), temp.Write("signer.pub", signer.PublicKey.Pem) };
        var request = new ModelSignatureRequest
        {
            ProjectDirectory = temp.Path,
            ProjectFile = temp.Combine("App.csproj"),
            Models = [new ConsumedModel("model.onnx", model, [], null)],
            TrustedKeys = keys,
            CacheFilePath = temp.Combine("obj", "signatures.cache"),
        };

        var first = ModelSignatureGuard.Run(request);
        var cached = ModelSignatureGuard.Run(request);

        Assert.Empty(first.Findings);
        Assert.Equal(signer.PublicKey.Hint, first.VerifiedBy[model]);
        Assert.Equal(1, cached.Unchanged);
        Assert.Equal(signer.PublicKey.Hint, cached.VerifiedBy[model]);
    }
}
