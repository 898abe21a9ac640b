using System.Security;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MlBuildGuard.EndToEnd.Tests.Infrastructure;
using MlBuildGuard.Testing;

namespace MlBuildGuard.EndToEnd.Tests;

/// <summary>Reproducible outputs, provenance and the ML-BOM (MLG501–MLG504) through real builds of the packed package.</summary>
[Collection(PackagesCollection.Name)]
public sealed class ReproducibleModelBuildTests(PackagesFixture packages)
{
    private static string Sha256Of(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    [Fact]
    public void Settings_that_defeat_reproducibility_are_MLG501_MLG502_MLG504_and_quiet_once_fixed()
    {
        // The settings matter to projects that produce models (SPEC §3); this one seals a checkpoint it "trains".
        const string Produces = """
              <ItemGroup>
                <MlModelOutput Include="models/out.pt" />
              </ItemGroup>
            """;
        var p = new TestProject(packages, "settings").WithProject(Produces, properties: "<Deterministic>false</Deterministic>");
        TestModels.WriteCheckpoint(Path.Combine(p.Directory, "models", "out.pt"), TestModels.DataPickle(1));
        var localGlobalJson = p.Write("global.json", "{ \"sdk\": { \"version\": \"10.0.100\", \"rollForward\": \"latestMajor\" } }\n");
        p.Environment["GITHUB_ACTIONS"] = "true";

        var broken = p.Build();
        var deterministicLine = p.LineOf("<Deterministic>false");
        File.Delete(localGlobalJson); // the scenarios' global.json (pinned like this repository's) applies again
        p.WithProject(Produces, properties: """
            <ContinuousIntegrationBuild Condition="'$(GITHUB_ACTIONS)' == 'true'">true</ContinuousIntegrationBuild>
            <RestoreLockedMode>true</RestoreLockedMode>
            """);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        p.Environment["MLGUARD_SIGNING_KEY"] = key.ExportPkcs8PrivateKeyPem(); // a pipeline's key from its secret store (else MLG601 on CI)
        var fixedBuild = p.Build("-p:MlGuardLockMode=Auto"); // the first CI build of this project: nothing locked yet

        Assert.Equal(1, broken.ExitCode);
        var deterministic = Assert.Single(broken.Diagnostics, d => d.Code == "MLG501");
        Assert.Equal(("error", p.ProjectFile, deterministicLine), (deterministic.Kind, deterministic.File, deterministic.Line));
        var ci = Assert.Single(broken.Diagnostics, d => d.Code == "MLG502");
        Assert.Equal("warning", ci.Kind);
        Assert.Contains("GITHUB_ACTIONS is set", ci.Message, StringComparison.Ordinal);
        var sdk = Assert.Single(broken.Diagnostics, d => d.Code == "MLG504");
        Assert.Equal(("warning", localGlobalJson, 1), (sdk.Kind, sdk.File, sdk.Line));
        Assert.Contains("roll forward to any 'latestMajor' SDK", sdk.Message, StringComparison.Ordinal);
        Assert.True(fixedBuild.ExitCode == 0, fixedBuild.ToString());
        Assert.Empty(fixedBuild.Diagnostics);

        // A project that produces no model is not held to them (SPEC §3).
        var plain = new TestProject(packages, "no-model").WithProject("", properties: "<Deterministic>false</Deterministic>");
        var plainBuild = plain.Build();
        Assert.True(plainBuild.ExitCode == 0, plainBuild.ToString());
        Assert.Empty(plainBuild.Diagnostics);
    }

    /// <summary>The repository's sample project (a real ML.NET training after Build), built against the packed package.</summary>
    private TestProject SampleProject()
    {
        var p = new TestProject(packages, "sentiment");
        var sample = RepositoryPaths.Combine("samples", "SentimentModel");
        File.Copy(Path.Combine(sample, "SentimentModel.csproj"), p.ProjectFile);
        File.Copy(Path.Combine(sample, "Program.cs"), Path.Combine(p.Directory, "Program.cs"), overwrite: true);
        foreach (var data in Directory.GetFiles(Path.Combine(sample, "data")))
        {
            p.Write(Path.Combine("data", Path.GetFileName(data)), File.ReadAllText(data));
        }

        // What the sample's samples/Directory.*.props give it, with the packed package instead of the source build.
        p.Write("Directory.Build.props", $"""
            <Project>
              <PropertyGroup>
                <ManagePackageVersionsCentrally>true</ManagePackageVersionsCentrally>
                <RestorePackagesWithLockFile>true</RestorePackagesWithLockFile>
                <RestoreLockedMode Condition="'$(ContinuousIntegrationBuild)' == 'true'">true</RestoreLockedMode>
                <MlGuardOffline>true</MlGuardOffline>
                <MlGuardAdvisoryDatabase>{SecurityElement.Escape(packages.AdvisoryFolder)}</MlGuardAdvisoryDatabase>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="MlBuildGuard" PrivateAssets="all" />
              </ItemGroup>
            </Project>
            """);
        p.Write("Directory.Packages.props", $"""
            <Project>
              <ItemGroup>
                <PackageVersion Include="Microsoft.ML" Version="5.0.1" />
                <PackageVersion Include="MlBuildGuard" Version="{packages.PackageVersion}" />
              </ItemGroup>
            </Project>
            """);
        return p;
    }

    [Fact]
    public void A_real_ML_NET_training_gives_identical_bytes_from_clean_is_locked_loads_and_a_new_seed_is_MLG503_on_CI()
    {
        var p = SampleProject();
        var output = Path.Combine(p.Directory, "bin", "Debug", "net10.0");
        var model = Path.Combine(output, "model.zip");

        var first = p.Build();
        var firstDigest = File.Exists(model) ? Sha256Of(model) : "(no model)";
        var lockAfterFirst = File.ReadAllText(p.LockFile);
        Directory.Delete(Path.Combine(p.Directory, "bin"), recursive: true);
        Directory.Delete(Path.Combine(p.Directory, "obj"), recursive: true);
        var second = p.Build("-p:ContinuousIntegrationBuild=true"); // Locked mode: the model must be the locked one
        var secondDigest = Sha256Of(model);
        var predict = DotNet.Run(p.Directory, packages.Environment, Path.Combine(output, "app.dll"), "predict", model, "A wonderful, moving film with great acting");
        var reseeded = p.Build("-p:ContinuousIntegrationBuild=true", "-p:SentimentModelSeed=7");

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Equal(firstDigest, secondDigest);
        using (var locked = JsonDocument.Parse(lockAfterFirst))
        {
            var entry = locked.RootElement.GetProperty("modelOutputs").GetProperty("model.zip"); // relative to $(OutDir)
            Assert.Equal(firstDigest, entry.GetProperty("sha256").GetString());
            Assert.True(entry.GetProperty("entries").TryGetProperty("TransformerChain/Transform_001/Model/Predictor/Model.key", out _));
        }

        Assert.True(predict.ExitCode == 0, predict.ToString());
        Assert.Contains("label=positive", predict.Output, StringComparison.Ordinal);

        Assert.Equal(1, reseeded.ExitCode);
        var finding = Assert.Single(reseeded.Diagnostics, d => d.Code == "MLG503");
        Assert.Equal(("error", p.LockFile), (finding.Kind, finding.File));
        Assert.Contains($"locked sha256 {firstDigest}", finding.Message, StringComparison.Ordinal);
        Assert.Contains("1 entry differs: TransformerChain/Transform_001/Model/Predictor/Model.key (changed)", finding.Message, StringComparison.Ordinal);
        Assert.Equal(lockAfterFirst, File.ReadAllText(p.LockFile)); // a failing build never changes the lock

        // Provenance and ML-BOM of the reproduced build (the second one: the failed third build wrote none).
        using var provenance = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(output, "mlguard.provenance.json")));
        var statement = provenance.RootElement;
        Assert.Equal("https://slsa.dev/provenance/v1", statement.GetProperty("predicateType").GetString());
        var subject = Assert.Single(statement.GetProperty("subject").EnumerateArray());
        Assert.Equal("bin/Debug/net10.0/model.zip", subject.GetProperty("name").GetString());
        Assert.Equal(firstDigest, subject.GetProperty("digest").GetProperty("sha256").GetString());
        var dependencies = statement.GetProperty("predicate").GetProperty("buildDefinition").GetProperty("resolvedDependencies").EnumerateArray().ToList();
        Assert.Contains(dependencies, d => d.TryGetProperty("name", out var n) && n.GetString() == "data/reviews.tsv");
        var mlNet = Assert.Single(dependencies, d => d.TryGetProperty("uri", out var u) && u.GetString() == "pkg:nuget/Microsoft.ML@5.0.1");
        Assert.Equal(128, mlNet.GetProperty("digest").GetProperty("sha512").GetString()!.Length);
        var bom = Path.Combine(output, "mlguard.cdx.json");
        var (valid, validation) = SchemaValidator.CycloneDx16(bom);
        Assert.True(valid == 0, validation);
        Assert.Contains("\"machine-learning-model\"", File.ReadAllText(bom), StringComparison.Ordinal);
    }

    [Fact]
    public void Each_framework_of_a_multi_targeted_project_seals_its_own_model_and_the_lock_keeps_both()
    {
        var p = new TestProject(packages, "multitarget").WithProject("""
              <PropertyGroup>
                <MlGuardSealAfterTargets>WriteModel</MlGuardSealAfterTargets>
              </PropertyGroup>
              <ItemGroup>
                <MlModelOutput Include="$(OutDir)model.pt" />
              </ItemGroup>
              <Target Name="WriteModel" AfterTargets="Build">
                <Copy SourceFiles="models/base.pt" DestinationFiles="$(OutDir)model.pt" />
              </Target>
            """, targetFrameworks: "net10.0;net9.0");
        TestModels.WriteCheckpoint(Path.Combine(p.Directory, "models", "base.pt"), TestModels.DataPickle(1));

        var first = p.Build("-m:2"); // both frameworks seal in parallel nodes and commit the lock one after the other
        var second = p.Build("--no-restore", "-m:2", "-p:ContinuousIntegrationBuild=true", "-p:RestoreLockedMode=true", "-p:MlGuardRequireSignedOutputs=false");

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.DoesNotContain(first.Diagnostics, d => d.Kind == "error");
        using (var locked = JsonDocument.Parse(File.ReadAllText(p.LockFile)))
        {
            var outputs = locked.RootElement.GetProperty("modelOutputs").EnumerateObject().Select(o => o.Name).ToArray();
            Assert.Equal(["net10.0/model.pt", "net9.0/model.pt"], outputs); // SPEC §4: relative to $(OutDir), framework-prefixed
        }

        Assert.True(second.ExitCode == 0, second.ToString()); // Locked mode: both reproduced, nothing missing from the lock
        Assert.False(File.Exists(Path.Combine(p.Directory, "bin", "Debug", "mlguard.provenance.json")), "the outer build seals nothing");
        Assert.True(File.Exists(Path.Combine(p.Directory, "bin", "Debug", "net9.0", "mlguard.provenance.json")));
    }

    [Fact]
    public void With_a_signing_key_the_provenance_is_a_DSSE_envelope_that_OpenSSL_verifies()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var p = new TestProject(packages, "provenance").WithProject("""
              <ItemGroup>
                <MlTrainingInput Include="data/train.tsv" Source="https://example.org/data?sig=SECRET-TOKEN" />
                <MlModelOutput Include="models/out.pt" />
              </ItemGroup>
            """);
        p.Write("data/train.tsv", "label\ttext\n1\tgood\n");
        TestModels.WriteCheckpoint(Path.Combine(p.Directory, "models", "out.pt"), TestModels.DataPickle(1));
        p.Environment["MLGUARD_SIGNING_KEY"] = ec.ExportPkcs8PrivateKeyPem();

        var build = p.Build();
        var file = Path.Combine(p.Directory, "bin", "Debug", "net10.0", "mlguard.provenance.json");
        var text = File.Exists(file) ? File.ReadAllText(file) : "";

        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.DoesNotContain("SECRET-TOKEN", text, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE", text, StringComparison.Ordinal);
        using var envelope = JsonDocument.Parse(text);
        var payloadType = envelope.RootElement.GetProperty("payloadType").GetString()!;
        var payload = Convert.FromBase64String(envelope.RootElement.GetProperty("payload").GetString()!);
        var signature = Convert.FromBase64String(envelope.RootElement.GetProperty("signatures")[0].GetProperty("sig").GetString()!);
        Assert.Equal("application/vnd.in-toto+json", payloadType);
        Assert.Contains("\"models/out.pt\"", Encoding.UTF8.GetString(payload), StringComparison.Ordinal);

        var work = Path.Combine(p.Directory, "verify");
        Directory.CreateDirectory(work);
        File.WriteAllText(Path.Combine(work, "pub.pem"), ec.ExportSubjectPublicKeyInfoPem());
        File.WriteAllBytes(Path.Combine(work, "sig.der"), signature);
        string Verify(byte[] body)
        {
            var header = Encoding.UTF8.GetBytes($"DSSEv1 {payloadType.Length} {payloadType} {body.Length} ");
            File.WriteAllBytes(Path.Combine(work, "pae.bin"), [.. header, .. body]);
            var (_, said) = ExternalTool.Run("openssl", ["dgst", "-sha256", "-verify", "pub.pem", "-signature", "sig.der", "pae.bin"], work);
            return said.Trim();
        }

        var forged = payload.ToArray();
        forged[forged.Length / 2] ^= 1;
        Assert.Equal("Verified OK", Verify(payload));
        Assert.Equal("Verification failure", Verify(forged).Split('\n')[0]);
    }
}
