using System.IO.Compression;
using MlBuildGuard.EndToEnd.Tests.Infrastructure;
using MlBuildGuard.Testing.Secrets;

namespace MlBuildGuard.EndToEnd.Tests;

/// <summary>Credentials (MLG801) inside consumed and produced models, through a real `dotnet build`; the other model tests show it quiet.</summary>
[Collection(PackagesCollection.Name)]
public sealed class ModelSecretsBuildTests(PackagesFixture packages)
{
    private static void WriteCheckpointWithConfig(string path, string config)
    {
        TestModels.WriteCheckpoint(path, TestModels.DataPickle(1));
        using var zip = ZipFile.Open(path, ZipArchiveMode.Update);
        using var s = new StreamWriter(zip.CreateEntry("archive/config.json").Open());
        s.Write(config);
    }

    [Fact]
    public void A_token_in_a_consumed_model_fails_the_build_before_compilation_naming_the_member_and_never_the_value()
    {
        var token = new FakeSecrets(31).HuggingFaceToken();
        var p = new TestProject(packages).WithProject("""<ItemGroup><MlModel Include="models/base.pt" /></ItemGroup>""");
        WriteCheckpointWithConfig(Path.Combine(p.Directory, "models", "base.pt"), $"{{\"hub_token\": \"{token.Secret}\"}}");

        var result = p.Build();

        Assert.Equal(1, result.ExitCode);
        var error = Assert.Single(result.Diagnostics);
        Assert.Equal(("error", "MLG801", Path.Combine(p.Directory, "models", "base.pt")), (error.Kind, error.Code, error.File));
        Assert.Contains("base.pt!archive/config.json", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(token.Secret, result.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(p.Directory, "bin", "Debug", "net10.0", "app.dll")), "the build stopped before compilation");
    }

    [Fact]
    public void A_token_in_a_produced_model_is_MLG801_and_the_model_is_not_recorded()
    {
        var token = new FakeSecrets(32).StripeLiveKey();
        var p = new TestProject(packages).WithProject("""
              <ItemGroup>
                <MlModelOutput Include="$(OutDir)model.pt" />
              </ItemGroup>
              <Target Name="WriteModel" AfterTargets="Build">
                <Copy SourceFiles="models/base.pt" DestinationFiles="$(OutDir)model.pt" />
              </Target>
            """, properties: "<MlGuardSealAfterTargets>WriteModel</MlGuardSealAfterTargets>");
        WriteCheckpointWithConfig(Path.Combine(p.Directory, "models", "base.pt"), $"{{\"billing\": \"{token.Secret}\"}}");

        var result = p.Build();

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(["MLG801"], result.Codes("error"));
        Assert.DoesNotContain(token.Secret, result.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(p.LockFile));
    }
}
