using System.Security;
using System.Security.Cryptography;
using System.Text.Json;
using System.Xml.Linq;
using MlBuildGuard.EndToEnd.Tests.Infrastructure;
using MlBuildGuard.Testing;

namespace MlBuildGuard.EndToEnd.Tests;

/// <summary>
/// What a new user does on the first afternoon (issue 12): <c>dotnet new console</c>, <c>mlguard init</c>, an ML.NET training
/// step, the first build, Release and CI builds, a change to the data, a lock update, a tampered model. The happy path
/// shows no MlBuildGuard warning, the summary line shows under the terminal logger (-v:d) and the console logger (-v:m),
/// and the lock has one entry per model.
/// </summary>
[Collection(PackagesCollection.Name)]
public sealed class NewUserBuildTests(PackagesFixture packages)
{
    /// <summary>The training step a user adds to the project file (as the repository's sample does).</summary>
    private const string Training = """
        <Project>
          <PropertyGroup>
            <MlGuardSealAfterTargets>Train</MlGuardSealAfterTargets>
          </PropertyGroup>
          <ItemGroup>
            <PackageReference Include="Microsoft.ML" Version="5.0.1" />
            <MlTrainingInput Include="data/reviews.tsv;data/reviews-test.tsv" />
            <MlModelOutput Include="$(OutDir)model.zip" />
          </ItemGroup>
          <Target Name="Train" AfterTargets="Build" Inputs="data/reviews.tsv;@(IntermediateAssembly)" Outputs="$(OutDir)model.zip">
            <Exec Command="&quot;$(DOTNET_HOST_PATH)&quot; &quot;$(TargetPath)&quot; train data/reviews.tsv data/reviews-test.tsv &quot;$(OutDir)model.zip&quot; --seed 1"
                  EnvironmentVariables="DOTNET_EnableAVX512F=0" />
          </Target>
        </Project>
        """;

    [Fact]
    public void From_dotnet_new_to_a_green_CI_build_with_no_warning_then_drift_update_and_tampering_are_caught()
    {
        var scenario = new TestProject(packages, "newuser"); // its nuget.config maps MlBuildGuard* to the packed feed
        var dir = scenario.Directory;
        var env = new Dictionary<string, string?>(packages.Environment);
        // The test machine's vulnerability data: an offline folder (a real team gets it from nuget.org).
        string[] offline = [$"-p:MlGuardOffline=true", $"-p:MlGuardAdvisoryDatabase={packages.AdvisoryFolder}"];

        Assert.Equal(0, DotNet.Run(dir, env, "new", "console", "-n", "app", "-o", ".", "--force").ExitCode);
        var install = DotNet.Run(dir, env, "tool", "install", "MlBuildGuard.Tool", "--tool-path", "tools", "--version", packages.PackageVersion);
        Assert.True(install.ExitCode == 0, install.ToString());
        var mlguard = Path.Combine(dir, "tools", "mlguard");
        var init = DotNet.RunProgram(mlguard, dir, env, "init");
        Assert.True(init.ExitCode == 0, init.ToString());
        Assert.Contains("MLGUARD_SIGNING_KEY", init.Output, StringComparison.Ordinal);

        // The user's training: the sample's program and data, and the project items of the README.
        File.Copy(RepositoryPaths.Combine("samples", "SentimentModel", "Program.cs"), Path.Combine(dir, "Program.cs"), overwrite: true);
        foreach (var data in Directory.GetFiles(RepositoryPaths.Combine("samples", "SentimentModel", "data")))
        {
            scenario.Write(Path.Combine("data", Path.GetFileName(data)), File.ReadAllText(data));
        }

        var project = XDocument.Load(scenario.ProjectFile);
        project.Root!.Add(XDocument.Parse(Training).Root!.Elements());
        project.Save(scenario.ProjectFile);

        // 1. The first build in a terminal: the lock is written, the summary line shows. The terminal logger shows a task's
        //    messages only from -v:d on (at any lower verbosity it shows warnings and errors alone).
        var first = DotNet.Run(dir, env, ["build", "-tl:on", "-v:d", "-nodeReuse:false", .. offline]);
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.DoesNotContain("warning MLG", first.Output, StringComparison.Ordinal);
        Assert.Contains("mlguard.lock.json", first.Output, StringComparison.Ordinal);
        Assert.Contains("MlBuildGuard: ", first.Output, StringComparison.Ordinal);
        Assert.Contains("(not signed)", first.Output, StringComparison.Ordinal);

        // 2. Release on the same machine, then the pipeline's CI build with the key from its secret store: same lock entry.
        var release = DotNet.Run(dir, env, ["build", "-c", "Release", "-tl:off", "-v:m", "-nodeReuse:false", .. offline]);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var ciEnv = new Dictionary<string, string?>(env) { ["MLGUARD_SIGNING_KEY"] = key.ExportPkcs8PrivateKeyPem() };
        Directory.Delete(Path.Combine(dir, "bin"), recursive: true);
        Directory.Delete(Path.Combine(dir, "obj"), recursive: true);
        var ci = DotNet.Run(dir, ciEnv, ["build", "-c", "Release", "-p:ContinuousIntegrationBuild=true", "-tl:off", "-v:m", "-nodeReuse:false", .. offline]);
        Assert.True(release.ExitCode == 0, release.ToString());
        Assert.Empty(release.Diagnostics);
        Assert.True(ci.ExitCode == 0, ci.ToString());
        Assert.Empty(ci.Diagnostics);
        Assert.Contains("MlBuildGuard: ", ci.Output, StringComparison.Ordinal);
        Assert.Contains("signed", ci.Output, StringComparison.Ordinal);
        using (var locked = JsonDocument.Parse(File.ReadAllBytes(scenario.LockFile)))
        {
            Assert.Equal(["model.zip"], locked.RootElement.GetProperty("modelOutputs").EnumerateObject().Select(o => o.Name));
        }

        // 3. The data changes: the build fails on it; the update prints the diff and asks for a commit at -v:m.
        File.AppendAllText(Path.Combine(dir, "data", "reviews.tsv"), "1\tA late addition, warm and funny\n");
        var drift = DotNet.Run(dir, env, ["build", "-tl:off", "-v:m", "-nodeReuse:false", .. offline]);
        var update = DotNet.Run(dir, env, ["build", "-tl:off", "-v:m", "-nodeReuse:false", "-p:MlGuardUpdateLock=true", .. offline]);
        Assert.Equal(1, drift.ExitCode);
        Assert.Equal("data/reviews.tsv", Assert.Single(drift.Diagnostics, d => d.Code == "MLG402").Message.Split('\'')[1]);
        Assert.True(update.ExitCode == 0, update.ToString());
        Assert.Contains("~ data/reviews.tsv", update.Output, StringComparison.Ordinal);
        Assert.Contains("Commit it.", update.Output, StringComparison.Ordinal);

        // 4. Someone swaps the signed model: verification says which file changed.
        var model = Path.Combine(dir, "bin", "Release", "net10.0", "model.zip");
        File.WriteAllText(Path.Combine(dir, "pub.pem"), key.ExportSubjectPublicKeyInfoPem());
        File.AppendAllText(model, "tampered");
        var verify = DotNet.RunProgram(mlguard, dir, env, "verify", model, "--public-key", "pub.pem");
        Assert.Equal(1, verify.ExitCode);
        Assert.Contains("the content of model.zip changed since it was signed", verify.Output, StringComparison.Ordinal);
    }
}
