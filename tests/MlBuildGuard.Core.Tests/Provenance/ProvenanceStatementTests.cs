using System.Globalization;
using System.Text;
using System.Text.Json;
using MlBuildGuard.Core.Provenance;
using MlBuildGuard.Core.Signing;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests.Provenance;

/// <summary>The in-toto / SLSA provenance statement and its DSSE envelope.</summary>
public sealed class ProvenanceStatementTests
{
    [Fact]
    public void Identical_materials_give_identical_bytes_whatever_the_input_order()
    {
        var materials = SampleMaterials.Create();
        var reordered = SampleMaterials.Reversed(materials);

        var first = ProvenanceStatement.Write(materials);
        Assert.Equal(first, ProvenanceStatement.Write(SampleMaterials.Create()));
        Assert.Equal(first, ProvenanceStatement.Write(reordered));
    }

    [Fact]
    public void Layout_is_two_space_indented_LF_with_a_final_newline()
    {
        var text = Encoding.UTF8.GetString(ProvenanceStatement.Write(SampleMaterials.Create()));

        Assert.StartsWith("{\n  \"_type\": \"https://in-toto.io/Statement/v1\",\n  \"subject\": [\n    {\n", text);
        Assert.EndsWith("}\n", text);
        Assert.DoesNotContain("\r", text);
        Assert.DoesNotContain("\\u", text); // '+' in git+https and purls written as is
    }

    [Fact]
    public void Statement_has_the_in_toto_v1_and_SLSA_v1_fields()
    {
        using var document = JsonDocument.Parse(ProvenanceStatement.Write(SampleMaterials.Create()));
        var root = document.RootElement;

        Assert.Equal("https://in-toto.io/Statement/v1", root.GetProperty("_type").GetString());
        Assert.Equal("https://slsa.dev/provenance/v1", root.GetProperty("predicateType").GetString());
        var subjects = root.GetProperty("subject").EnumerateArray().ToList();
        Assert.Equal(["bin/Release/net10.0/model.zip", "bin/Release/net10.0/onnx/model.onnx"], subjects.Select(s => s.GetProperty("name").GetString()));
        Assert.Equal(SampleMaterials.Sha256("zip"), subjects[0].GetProperty("digest").GetProperty("sha256").GetString());

        var definition = root.GetProperty("predicate").GetProperty("buildDefinition");
        Assert.Equal(ProvenanceStatement.BuildType, definition.GetProperty("buildType").GetString());
        var external = definition.GetProperty("externalParameters");
        Assert.Equal("src/Churn/Churn.csproj", external.GetProperty("project").GetString());
        Assert.Equal("Release", external.GetProperty("configuration").GetString());
        Assert.Equal("net10.0", external.GetProperty("targetFramework").GetString());
        var internalParameters = definition.GetProperty("internalParameters");
        Assert.Equal("10.0.401", internalParameters.GetProperty("sdkVersion").GetString());
        Assert.Equal(1717200000, internalParameters.GetProperty("sourceDateEpoch").GetInt64());

        var dependencies = definition.GetProperty("resolvedDependencies").EnumerateArray().ToList();
        Assert.Equal(6, dependencies.Count);
        Assert.Equal("git+https://github.com/example/churn-model.git@refs/heads/main", dependencies[0].GetProperty("uri").GetString());
        Assert.Equal(SampleMaterials.Commit, dependencies[0].GetProperty("digest").GetProperty("gitCommit").GetString());

        Assert.Equal(["data/test.tsv", "data/train.tsv"], dependencies[1..3].Select(d => d.GetProperty("name").GetString()));
        Assert.Equal(SampleMaterials.Sha256("train"), dependencies[2].GetProperty("digest").GetProperty("sha256").GetString());
        Assert.Equal(123456, dependencies[2].GetProperty("annotations").GetProperty("size").GetInt64());
        Assert.Equal("https://example.org/dataset-v3", dependencies[2].GetProperty("annotations").GetProperty("source").GetString());
        Assert.False(dependencies[1].GetProperty("annotations").TryGetProperty("source", out _));

        Assert.Equal(["pkg:nuget/Contoso.NoHash@1.0.0-beta.1", "pkg:nuget/Microsoft.ML@5.0.1", "pkg:nuget/System.Text.Json@8.0.0"],
            dependencies[3..].Select(d => d.GetProperty("uri").GetString()));
        Assert.False(dependencies[3].TryGetProperty("digest", out _)); // nothing known, but still listed by purl
        Assert.True(dependencies[3].GetProperty("annotations").GetProperty("direct").GetBoolean());
        Assert.Equal(SampleMaterials.Sha512("ml"), dependencies[4].GetProperty("digest").GetProperty("sha512").GetString());
        Assert.Equal(SampleMaterials.ContentHash("ml"), dependencies[4].GetProperty("annotations").GetProperty("nugetContentHash").GetString());
        Assert.False(dependencies[5].GetProperty("annotations").GetProperty("direct").GetBoolean());

        var builder = root.GetProperty("predicate").GetProperty("runDetails").GetProperty("builder");
        Assert.Equal("https://github.com/MlBuildGuard/MlBuildGuard", builder.GetProperty("id").GetString());
        Assert.Equal("0.1.0", builder.GetProperty("version").GetProperty("mlbuildguard").GetString());
        Assert.False(root.GetProperty("predicate").GetProperty("runDetails").TryGetProperty("metadata", out _));
    }

    [Fact]
    public void Metrics_files_are_byproducts_with_their_digest_metrics_and_gate_verdicts()
    {
        using var document = JsonDocument.Parse(ProvenanceStatement.Write(SampleMaterials.Create()));

        var byproduct = Assert.Single(document.RootElement.GetProperty("predicate").GetProperty("runDetails").GetProperty("byproducts").EnumerateArray());
        Assert.Equal("metrics/eval.json", byproduct.GetProperty("name").GetString());
        Assert.Equal(SampleMaterials.Sha256("metrics"), byproduct.GetProperty("digest").GetProperty("sha256").GetString());
        var metrics = byproduct.GetProperty("annotations").GetProperty("metrics").EnumerateArray().ToList();
        Assert.Equal(["accuracy", "auc", "loss"], metrics.Select(m => m.GetProperty("name").GetString()));
        Assert.Equal(0.9, metrics[1].GetProperty("baseline").GetDouble());
        Assert.Equal("passed", metrics[1].GetProperty("gate").GetString());
        Assert.False(metrics[2].TryGetProperty("gate", out _));
    }

    [Fact]
    public void Personal_data_kinds_annotate_their_training_input()
    {
        using var document = JsonDocument.Parse(ProvenanceStatement.Write(SampleMaterials.Create()));

        var test = document.RootElement.GetProperty("predicate").GetProperty("buildDefinition").GetProperty("resolvedDependencies").EnumerateArray()
            .Single(d => d.TryGetProperty("name", out var n) && n.GetString() == "data/test.tsv");
        Assert.Equal(["email", "phone"], test.GetProperty("annotations").GetProperty("personalData").EnumerateArray().Select(k => k.GetString()));
    }

    [Fact]
    public void Nothing_secret_or_machine_specific_reaches_the_statement()
    {
        var materials = SampleMaterials.Create() with
        {
            Source = new SourceRevision("https://bob:ghp_TOKEN@github.com/example/churn-model.git", SampleMaterials.Commit, "refs/heads/main"),
        };
        var text = Encoding.UTF8.GetString(ProvenanceStatement.Write(materials));

        string[] forbidden = ["s3cret", "SASSECRET", "alice", "ghp_TOKEN", "bob", Path.GetTempPath(), "startedOn",
            .. Environment.MachineName.Length >= 6 ? [Environment.MachineName] : Array.Empty<string>()];
        foreach (var secret in forbidden)
        {
            Assert.DoesNotContain(secret, text, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void Optional_parts_are_left_out_when_unknown()
    {
        var materials = new BuildMaterials
        {
            ProjectName = "App",
            ProjectPath = "App.csproj",
            Models = [new ProducedModel("model.onnx", SampleMaterials.Sha256("m"), 1, null)],
            Source = new SourceRevision(null, SampleMaterials.Commit, null),
            ToolVersion = "0.1.0",
        };
        using var document = JsonDocument.Parse(ProvenanceStatement.Write(materials));
        var definition = document.RootElement.GetProperty("predicate").GetProperty("buildDefinition");

        Assert.False(definition.TryGetProperty("internalParameters", out _));
        Assert.Equal("""{"project":"App.csproj"}""", JsonSerializer.Serialize(definition.GetProperty("externalParameters")));
        var source = Assert.Single(definition.GetProperty("resolvedDependencies").EnumerateArray());
        Assert.False(source.TryGetProperty("uri", out _));
        Assert.Equal(SampleMaterials.Commit, source.GetProperty("digest").GetProperty("gitCommit").GetString());
    }

    [Theory]
    [InlineData("/home/user/src/model.zip")]
    [InlineData("C:/src/model.zip")]
    [InlineData("bin\\model.zip")]
    public void Absolute_or_backslash_paths_are_refused(string name)
    {
        var materials = SampleMaterials.Create() with { Models = [new ProducedModel(name, SampleMaterials.Sha256("m"), 1, null)] };
        Assert.Throws<ArgumentException>(() => ProvenanceStatement.Write(materials));
    }

    [Fact]
    public void Repeated_entries_collapse_and_conflicting_ones_are_refused()
    {
        var materials = SampleMaterials.Create();
        var repeated = materials with { Packages = [.. materials.Packages, .. materials.Packages] };
        Assert.Equal(ProvenanceStatement.Write(materials), ProvenanceStatement.Write(repeated));

        var conflicting = materials with
        {
            TrainingInputs = [.. materials.TrainingInputs, new TrainingInputMaterial("data/train.tsv", SampleMaterials.Sha256("other"), 1, null)],
        };
        Assert.Throws<ArgumentException>(() => ProvenanceStatement.Write(conflicting));
    }

    [Fact]
    public void Package_versions_sort_by_precedence()
    {
        var materials = SampleMaterials.Create() with
        {
            Packages = [new("Lib", "1.10.0", null, null, true), new("lib", "1.9.0", null, null, true), new("Lib", "1.9.0", null, null, true)],
        };
        var text = Encoding.UTF8.GetString(ProvenanceStatement.Write(materials));

        var order = new[] { "pkg:nuget/Lib@1.9.0", "pkg:nuget/Lib@1.10.0", "pkg:nuget/lib@1.9.0" }.Select(p => text.IndexOf(p, StringComparison.Ordinal)).ToList();
        Assert.DoesNotContain(-1, order);
        Assert.Equal(order.Order(), order);
    }

    [Fact]
    public void Malformed_digests_are_refused()
    {
        var materials = SampleMaterials.Create() with { Models = [new ProducedModel("m.onnx", "abc", 1, null)] };
        Assert.Throws<ArgumentException>(() => ProvenanceStatement.Write(materials));
    }

    [Fact]
    public void Envelope_carries_the_statement_and_verifies_with_the_signing_key_only()
    {
        var key = OmsPrivateKey.Generate();
        var statement = ProvenanceStatement.Write(SampleMaterials.Create());
        var envelope = ProvenanceStatement.Sign(statement, key);

        using (var document = JsonDocument.Parse(envelope))
        {
            var root = document.RootElement;
            Assert.Equal("application/vnd.in-toto+json", root.GetProperty("payloadType").GetString());
            Assert.Equal(statement, Convert.FromBase64String(root.GetProperty("payload").GetString()!));
            var signature = Assert.Single(root.GetProperty("signatures").EnumerateArray());
            Assert.Equal(key.PublicKey.Hint, signature.GetProperty("keyid").GetString());
        }

        Assert.True(ProvenanceStatement.TryVerify(envelope, key.PublicKey, out var payload));
        Assert.Equal(statement, payload);
        Assert.False(ProvenanceStatement.TryVerify(envelope, OmsPrivateKey.Generate().PublicKey, out _));
        Assert.Equal(envelope, ProvenanceStatement.Sign(statement, key)); // RFC 6979: signing is deterministic too

        var tampered = Encoding.UTF8.GetString(envelope).Replace(
            Convert.ToBase64String(statement), Convert.ToBase64String(Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(statement).Replace("5.0.1", "5.0.2"))));
        Assert.False(ProvenanceStatement.TryVerify(Encoding.UTF8.GetBytes(tampered), key.PublicKey, out _));
        Assert.False(ProvenanceStatement.TryVerify("{ not json"u8, key.PublicKey, out _));
    }

    [Theory]
    [InlineData(OmsCurve.P256, "-sha256")]
    [InlineData(OmsCurve.P384, "-sha384")]
    [InlineData(OmsCurve.P521, "-sha512")]
    public void OpenSSL_verifies_the_envelope_signature_and_rejects_a_changed_payload(OmsCurve curve, string digest)
    {
        using var temp = new TempDirectory("mlguard-dsse");
        var key = OmsPrivateKey.Generate(curve);
        var envelope = ProvenanceStatement.Sign(ProvenanceStatement.Write(SampleMaterials.Create()), key);

        // Rebuild DSSE's PAE from the envelope by the protocol's definition, independently of the library.
        using var document = JsonDocument.Parse(envelope);
        var payloadType = document.RootElement.GetProperty("payloadType").GetString()!;
        var payload = Convert.FromBase64String(document.RootElement.GetProperty("payload").GetString()!);
        var sig = Convert.FromBase64String(document.RootElement.GetProperty("signatures")[0].GetProperty("sig").GetString()!);
        var header = string.Create(CultureInfo.InvariantCulture, $"DSSEv1 {Encoding.UTF8.GetByteCount(payloadType)} {payloadType} {payload.Length} ");
        byte[] pae = [.. Encoding.UTF8.GetBytes(header), .. payload];

        File.WriteAllText(temp.Combine("pub.pem"), key.PublicKey.Pem);
        File.WriteAllBytes(temp.Combine("sig.der"), sig);
        File.WriteAllBytes(temp.Combine("pae.bin"), pae);
        string[] verify = ["dgst", digest, "-verify", "pub.pem", "-signature", "sig.der", "pae.bin"];

        var (exitCode, output) = ExternalTool.Run("openssl", verify, temp.Path);
        Assert.True(exitCode == 0, output);
        Assert.Contains("Verified OK", output);

        pae[^10] ^= 0x01; // one payload byte changed
        File.WriteAllBytes(temp.Combine("pae.bin"), pae);
        (exitCode, output) = ExternalTool.Run("openssl", verify, temp.Path);
        Assert.NotEqual(0, exitCode);
        Assert.DoesNotContain("Verified OK", output);
    }
}
