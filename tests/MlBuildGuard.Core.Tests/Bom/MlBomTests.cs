using System.Text;
using System.Text.Json;
using MlBuildGuard.Core.Bom;
using MlBuildGuard.Core.Provenance;
using MlBuildGuard.Core.Tests.Provenance;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests.Bom;

/// <summary>The CycloneDX 1.6 ML-BOM: content, determinism, and validity by CycloneDX's own validator.</summary>
public sealed class MlBomTests
{
    private static JsonElement Component(JsonElement bom, string bomRef) =>
        bom.GetProperty("components").EnumerateArray().Single(c => c.GetProperty("bom-ref").GetString() == bomRef);

    private static Dictionary<string, string?> Properties(JsonElement component) =>
        component.GetProperty("properties").EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!, p => p.GetProperty("value").GetString());

    [Fact]
    public void Identical_materials_give_identical_bytes_whatever_the_input_order()
    {
        var materials = SampleMaterials.Create();
        var reordered = SampleMaterials.Reversed(materials);

        var first = MlBom.Write(materials);
        Assert.Equal(first, MlBom.Write(SampleMaterials.Create()));
        Assert.Equal(first, MlBom.Write(reordered));
        var text = Encoding.UTF8.GetString(first);
        Assert.StartsWith("{\n  \"bomFormat\": \"CycloneDX\",\n  \"specVersion\": \"1.6\",\n  \"serialNumber\": \"urn:uuid:", text);
        Assert.EndsWith("}\n", text);
        Assert.DoesNotContain("\r", text);
    }

    [Fact]
    public void The_serial_number_is_a_version_8_uuid_that_follows_the_content()
    {
        static string Serial(BuildMaterials m)
        {
            using var document = JsonDocument.Parse(MlBom.Write(m));
            return document.RootElement.GetProperty("serialNumber").GetString()!;
        }

        var materials = SampleMaterials.Create();
        var serial = Serial(materials);

        Assert.Matches("^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", serial);
        Assert.NotEqual(serial, Serial(materials with { ToolVersion = "0.1.1" }));
    }

    [Fact]
    public void Metadata_names_the_tool_and_project_and_dates_only_a_pinned_epoch()
    {
        using var document = JsonDocument.Parse(MlBom.Write(SampleMaterials.Create()));
        var metadata = document.RootElement.GetProperty("metadata");

        Assert.Equal("2024-06-01T00:00:00Z", metadata.GetProperty("timestamp").GetString());
        var tool = Assert.Single(metadata.GetProperty("tools").GetProperty("components").EnumerateArray());
        Assert.Equal("MlBuildGuard", tool.GetProperty("name").GetString());
        Assert.Equal("0.1.0", tool.GetProperty("version").GetString());
        Assert.Equal("Churn", metadata.GetProperty("component").GetProperty("name").GetString());
        Assert.Equal("project:src/Churn/Churn.csproj", metadata.GetProperty("component").GetProperty("bom-ref").GetString());

        using var undated = JsonDocument.Parse(MlBom.Write(SampleMaterials.Create() with { SourceDateEpoch = null }));
        Assert.False(undated.RootElement.GetProperty("metadata").TryGetProperty("timestamp", out _));
    }

    [Fact]
    public void Components_describe_models_data_and_packages()
    {
        using var document = JsonDocument.Parse(MlBom.Write(SampleMaterials.Create()));
        var bom = document.RootElement;

        Assert.Equal(
            [
                "model:bin/Release/net10.0/model.zip", "model:bin/Release/net10.0/onnx/model.onnx",
                "data:data/test.tsv", "data:data/train.tsv",
                "pkg:nuget/Contoso.NoHash@1.0.0-beta.1", "pkg:nuget/Microsoft.ML@5.0.1", "pkg:nuget/System.Text.Json@8.0.0",
            ],
            bom.GetProperty("components").EnumerateArray().Select(c => c.GetProperty("bom-ref").GetString()));

        var model = Component(bom, "model:bin/Release/net10.0/model.zip");
        Assert.Equal("machine-learning-model", model.GetProperty("type").GetString());
        Assert.Equal("bin/Release/net10.0/model.zip", model.GetProperty("name").GetString());
        var hash = Assert.Single(model.GetProperty("hashes").EnumerateArray());
        Assert.Equal("SHA-256", hash.GetProperty("alg").GetString());
        Assert.Equal(SampleMaterials.Sha256("zip"), hash.GetProperty("content").GetString());
        Assert.Equal(new Dictionary<string, string?> { ["mlbuildguard:format"] = "ML.NET model.zip", ["mlbuildguard:size"] = "78910" }, Properties(model));

        var data = Component(bom, "data:data/train.tsv");
        Assert.Equal("data", data.GetProperty("type").GetString());
        Assert.Equal(SampleMaterials.Sha256("train"), data.GetProperty("hashes")[0].GetProperty("content").GetString());
        Assert.Equal("dataset", data.GetProperty("data")[0].GetProperty("type").GetString());
        Assert.Equal("https://example.org/dataset-v3", Properties(data)["mlbuildguard:source"]);
        Assert.False(Properties(Component(bom, "data:data/test.tsv")).ContainsKey("mlbuildguard:source"));

        var ml = Component(bom, "pkg:nuget/Microsoft.ML@5.0.1");
        Assert.Equal("library", ml.GetProperty("type").GetString());
        Assert.Equal("Microsoft.ML", ml.GetProperty("name").GetString());
        Assert.Equal("5.0.1", ml.GetProperty("version").GetString());
        Assert.Equal("pkg:nuget/Microsoft.ML@5.0.1", ml.GetProperty("purl").GetString());
        Assert.Equal("required", ml.GetProperty("scope").GetString());
        Assert.Equal("SHA-512", ml.GetProperty("hashes")[0].GetProperty("alg").GetString());
        Assert.Equal(SampleMaterials.Sha512("ml"), ml.GetProperty("hashes")[0].GetProperty("content").GetString());
        Assert.False(Component(bom, "pkg:nuget/Contoso.NoHash@1.0.0-beta.1").TryGetProperty("hashes", out _));
    }

    [Fact]
    public void Dependencies_lead_from_the_project_to_models_to_data_and_direct_packages()
    {
        using var document = JsonDocument.Parse(MlBom.Write(SampleMaterials.Create()));
        var dependencies = document.RootElement.GetProperty("dependencies").EnumerateArray()
            .ToDictionary(d => d.GetProperty("ref").GetString()!, d => d.GetProperty("dependsOn").EnumerateArray().Select(e => e.GetString()!).ToList());

        Assert.Equal(8, dependencies.Count); // the project and each of the seven components, once
        Assert.Equal(["model:bin/Release/net10.0/model.zip", "model:bin/Release/net10.0/onnx/model.onnx"], dependencies["project:src/Churn/Churn.csproj"]);
        List<string> madeFrom = ["data:data/test.tsv", "data:data/train.tsv", "pkg:nuget/Contoso.NoHash@1.0.0-beta.1", "pkg:nuget/Microsoft.ML@5.0.1"];
        Assert.Equal(madeFrom, dependencies["model:bin/Release/net10.0/model.zip"]);
        Assert.Equal(madeFrom, dependencies["model:bin/Release/net10.0/onnx/model.onnx"]);
        Assert.Empty(dependencies["pkg:nuget/System.Text.Json@8.0.0"]);
        Assert.Equal(["pkg:nuget/System.Text.Json@8.0.0"], dependencies["pkg:nuget/Microsoft.ML@5.0.1"]); // restore's graph
        Assert.Empty(dependencies["data:data/train.tsv"]);
    }

    [Fact]
    public void Every_model_carries_the_quality_gate_results_as_performance_metrics()
    {
        using var bom = JsonDocument.Parse(MlBom.Write(SampleMaterials.Create()));

        foreach (var model in new[] { "model:bin/Release/net10.0/model.zip", "model:bin/Release/net10.0/onnx/model.onnx" })
        {
            var metrics = Component(bom.RootElement, model).GetProperty("modelCard").GetProperty("quantitativeAnalysis")
                .GetProperty("performanceMetrics").EnumerateArray()
                .Select(m => (m.GetProperty("type").GetString(), m.GetProperty("value").GetString(), m.TryGetProperty("slice", out var s) ? s.GetString() : null))
                .ToList();
            Assert.Equal([("accuracy", "0.875", "gate passed"), ("auc", "0.91", "gate passed (baseline 0.9)"), ("loss", "0.31", null)], metrics);
        }
    }

    [Fact]
    public void A_build_without_metrics_writes_no_model_card()
    {
        using var bom = JsonDocument.Parse(MlBom.Write(SampleMaterials.Create() with { Metrics = [] }));

        Assert.False(Component(bom.RootElement, "model:bin/Release/net10.0/model.zip").TryGetProperty("modelCard", out _));
    }

    [Fact]
    public void The_personal_data_kinds_found_go_into_the_data_component_of_that_input_only()
    {
        using var bom = JsonDocument.Parse(MlBom.Write(SampleMaterials.Create()));

        var test = Component(bom.RootElement, "data:data/test.tsv").GetProperty("data")[0];
        Assert.Equal(["email", "phone"], test.GetProperty("sensitiveData").EnumerateArray().Select(k => k.GetString()));
        Assert.False(Component(bom.RootElement, "data:data/train.tsv").GetProperty("data")[0].TryGetProperty("sensitiveData", out _));
    }

    [Fact]
    public void Nothing_secret_reaches_the_bom()
    {
        var text = Encoding.UTF8.GetString(MlBom.Write(SampleMaterials.Create()));

        Assert.DoesNotContain("s3cret", text, StringComparison.Ordinal);
        Assert.DoesNotContain("SASSECRET", text, StringComparison.Ordinal);
        Assert.DoesNotContain("alice", text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_bom_is_valid_CycloneDX_1_6_for_CycloneDX_own_validator()
    {
        using var temp = new TempDirectory("mlguard-bom");
        var full = temp.Combine("full.cdx.json");
        File.WriteAllBytes(full, MlBom.Write(SampleMaterials.Create()));
        var minimal = temp.Combine("minimal.cdx.json");
        File.WriteAllBytes(minimal, MlBom.Write(new BuildMaterials { ProjectName = "App", ProjectPath = "App.csproj", ToolVersion = "0.1.0" }));

        foreach (var file in new[] { full, minimal })
        {
            var (exitCode, output) = SchemaValidator.CycloneDx16(file);
            Assert.True(exitCode == 0, output);
        }
    }

    [Fact]
    public void The_validator_rejects_a_broken_bom()
    {
        using var temp = new TempDirectory("mlguard-bom");
        var broken = temp.Combine("broken.cdx.json");
        var text = Encoding.UTF8.GetString(MlBom.Write(SampleMaterials.Create()));
        File.WriteAllText(broken, text.Replace("\"type\": \"machine-learning-model\"", "\"type\": \"nonsense\"", StringComparison.Ordinal));

        var (exitCode, output) = SchemaValidator.CycloneDx16(broken);

        Assert.Equal(1, exitCode);
        Assert.Contains("/components/0/type", output);
    }
}
