using System.Text.Json;
using MlBuildGuard.EndToEnd.Tests.Infrastructure;
using MlBuildGuard.Testing;
using MlBuildGuard.Testing.Secrets;

namespace MlBuildGuard.EndToEnd.Tests;

/// <summary>
/// What the build's own records carry, through a real `dotnet build`: the quality gate's results and the personal-data
/// kinds in the provenance and the ML-BOM, and no credential in any of them (MLG801 on the output file instead).
/// </summary>
[Collection(PackagesCollection.Name)]
public sealed class BuildRecordsBuildTests(PackagesFixture packages)
{
    private static TestProject Produce(TestProject p, string source)
    {
        p.WithProject($"""
              <ItemGroup>
                <MlTrainingInput Include="data/users.csv" Pii="allow" Source="{source}" />
                <MlModelOutput Include="models/out.pt" />
                <MlModelMetrics Include="metrics.json" EvaluationInputs="data/users.csv" />
                <MlMetricThreshold Include="accuracy" Minimum="0.7" />
              </ItemGroup>
            """);
        p.Write("data/users.csv", "id,contact,label\n1,ada@example.org,1\n2,grace@example.net,0\n3,alan@example.com,1\n");
        p.Write("metrics.json", """{ "accuracy": 0.9, "loss": 0.25 }""");
        TestModels.WriteCheckpoint(Path.Combine(p.Directory, "models", "out.pt"), TestModels.DataPickle(1));
        return p;
    }

    [Fact]
    public void Gate_results_and_personal_data_kinds_reach_the_provenance_and_a_valid_ML_BOM()
    {
        var p = Produce(new TestProject(packages, "records"), "https://example.org/datasets/users-v2");

        var build = p.Build();

        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Equal(["MLG802"], build.Codes("warning"));
        var output = Path.Combine(p.Directory, "bin", "Debug", "net10.0");
        var bomFile = Path.Combine(output, "mlguard.cdx.json");
        var (valid, validation) = SchemaValidator.CycloneDx16(bomFile);
        Assert.True(valid == 0, validation);
        using var bom = JsonDocument.Parse(File.ReadAllBytes(bomFile));
        var components = bom.RootElement.GetProperty("components").EnumerateArray().ToList();
        var model = components.Single(c => c.GetProperty("type").GetString() == "machine-learning-model");
        var metrics = model.GetProperty("modelCard").GetProperty("quantitativeAnalysis").GetProperty("performanceMetrics").EnumerateArray()
            .ToDictionary(m => m.GetProperty("type").GetString()!, m => m.GetProperty("value").GetString());
        Assert.Equal(new Dictionary<string, string?> { ["accuracy"] = "0.9", ["loss"] = "0.25" }, metrics);
        var data = components.Single(c => c.GetProperty("bom-ref").GetString() == "data:data/users.csv");
        Assert.Equal(["email"], data.GetProperty("data")[0].GetProperty("sensitiveData").EnumerateArray().Select(k => k.GetString()));

        using var provenance = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(output, "mlguard.provenance.json")));
        var byproduct = Assert.Single(provenance.RootElement.GetProperty("predicate").GetProperty("runDetails").GetProperty("byproducts").EnumerateArray());
        Assert.Equal("metrics.json", byproduct.GetProperty("name").GetString());
        Assert.Contains(byproduct.GetProperty("annotations").GetProperty("metrics").EnumerateArray(),
            m => m.GetProperty("name").GetString() == "accuracy" && m.GetProperty("gate").GetString() == "passed");
    }

    [Fact]
    public void Each_framework_of_a_multi_targeted_project_records_the_training_inputs_and_personal_data_kinds_the_outer_build_found()
    {
        var p = new TestProject(packages, "records-multi").WithProject("""
              <ItemGroup>
                <MlTrainingInput Include="data/users.csv" Pii="allow" />
                <MlModelOutput Include="$(OutDir)model.pt" />
              </ItemGroup>
              <Target Name="WriteModel" AfterTargets="Build">
                <Copy SourceFiles="models/base.pt" DestinationFiles="$(OutDir)model.pt" />
              </Target>
            """, targetFrameworks: "net10.0;net9.0", properties: "<MlGuardSealAfterTargets>WriteModel</MlGuardSealAfterTargets>");
        p.Write("data/users.csv", "id,contact,label\n1,ada@example.org,1\n2,grace@example.net,0\n3,alan@example.com,1\n");
        TestModels.WriteCheckpoint(Path.Combine(p.Directory, "models", "base.pt"), TestModels.DataPickle(1));

        // One node: the framework builds run where the outer build already ran the check, so they skip it and must take
        // the kinds it found from what it staged. The first build creates the lock: its framework builds run before the
        // outer build commits it, and their records must still name the training input it commits.
        var first = p.Build("-m:1");
        Assert.True(first.ExitCode == 0, first.ToString());
        var sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(p.Directory, "data", "users.csv"))));
        foreach (var framework in new[] { "net10.0", "net9.0" })
        {
            using var record = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(p.Directory, "bin", "Debug", framework, "mlguard.provenance.json")));
            var recorded = record.RootElement.GetProperty("predicate").GetProperty("buildDefinition").GetProperty("resolvedDependencies").EnumerateArray()
                .Single(d => d.TryGetProperty("name", out var name) && name.GetString() == "data/users.csv");
            Assert.Equal(sha256, recorded.GetProperty("digest").GetProperty("sha256").GetString());
        }

        var build = p.Build("--no-restore", "-m:1");
        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Equal(["MLG802"], build.Codes("warning")); // found and reported once, by the outer build
        foreach (var framework in new[] { "net10.0", "net9.0" })
        {
            var output = Path.Combine(p.Directory, "bin", "Debug", framework);
            using var bom = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(output, "mlguard.cdx.json")));
            var data = bom.RootElement.GetProperty("components").EnumerateArray().Single(c => c.GetProperty("bom-ref").GetString() == "data:data/users.csv");
            Assert.Equal(["email"], data.GetProperty("data")[0].GetProperty("sensitiveData").EnumerateArray().Select(k => k.GetString()));
            using var provenance = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(output, "mlguard.provenance.json")));
            var input = provenance.RootElement.GetProperty("predicate").GetProperty("buildDefinition").GetProperty("resolvedDependencies").EnumerateArray()
                .Single(d => d.TryGetProperty("name", out var name) && name.GetString() == "data/users.csv");
            Assert.Equal(["email"], input.GetProperty("annotations").GetProperty("personalData").EnumerateArray().Select(k => k.GetString()));
        }
    }

    [Fact]
    public void A_token_in_a_training_input_Source_is_MLG801_on_the_output_file_and_no_record_is_written()
    {
        var token = new FakeSecrets(2026).HuggingFaceToken();
        var p = Produce(new TestProject(packages, "records-leak"), $"https://example.org/{token.Secret}/users.csv");

        var build = p.Build();

        Assert.Equal(1, build.ExitCode);
        var output = Path.Combine(p.Directory, "bin", "Debug", "net10.0");
        var leaks = build.Diagnostics.Where(d => d.Code == "MLG801").ToList();
        Assert.Equal([Path.Combine(output, "mlguard.cdx.json"), Path.Combine(output, "mlguard.provenance.json")], leaks.Select(d => d.File).Order(StringComparer.Ordinal));
        Assert.All(leaks, d => Assert.Contains(token.RuleId, d.Message, StringComparison.Ordinal));
        Assert.DoesNotContain(token.Secret, build.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(output, "mlguard.cdx.json")));
        Assert.False(File.Exists(Path.Combine(output, "mlguard.provenance.json")));
        Assert.False(File.Exists(p.Sarif) && File.ReadAllText(p.Sarif).Contains(token.Secret, StringComparison.Ordinal));
    }
}
