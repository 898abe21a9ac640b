using System.Security.Cryptography;
using MlBuildGuard.EndToEnd.Tests.Infrastructure;

namespace MlBuildGuard.EndToEnd.Tests;

/// <summary>
/// The caches under obj/ cannot be turned against the guard (docs/threat-model.md): a training input, a consumed model
/// and a produced model are changed, and their cache entries forged to say they were not, with the package's own cache
/// writers. An ordinary local build trusts its obj/ as it trusts the source tree; a Locked build and a CI build read no
/// cache and catch every change.
/// </summary>
[Collection(PackagesCollection.Name)]
public sealed class CacheForgeryBuildTests(PackagesFixture packages)
{
    /// <summary>A pickle whose loading runs os.system("id").</summary>
    private static readonly byte[] MaliciousPickle = [0x80, 0x02, (byte)'c', .. "os\nsystem\n"u8, (byte)'X', 2, 0, 0, 0, (byte)'i', (byte)'d', 0x85, (byte)'R', (byte)'.'];

    private static string Sha256Of(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    [Fact]
    public void Forged_stamp_cache_entries_never_let_a_changed_input_or_model_pass_a_Locked_or_CI_build()
    {
        var p = new TestProject(packages, "forgery").WithProject("""
              <ItemGroup>
                <MlTrainingInput Include="data/train.tsv" />
                <MlModel Include="models/consumed.pkl" />
                <MlModelOutput Include="models/out.pkl" />
              </ItemGroup>
            """);
        var data = p.Write("data/train.tsv", "label\ttext\n1\tgood\n0\tbad\n");
        var consumed = Path.Combine(p.Directory, "models", "consumed.pkl");
        var produced = Path.Combine(p.Directory, "models", "out.pkl");
        Directory.CreateDirectory(Path.GetDirectoryName(consumed)!);
        File.WriteAllBytes(consumed, TestModels.DataPickle(1));
        File.WriteAllBytes(produced, TestModels.DataPickle(1));
        var first = p.Build();
        Assert.True(first.ExitCode == 0, first.ToString());
        var locked = (Data: (Sha256Of(data), new FileInfo(data).Length), Model: (Sha256Of(produced), new FileInfo(produced).Length));

        // The attack: new data, a model that runs code when loaded, another produced model; then the caches are forged.
        var originalData = File.ReadAllText(data);
        File.WriteAllText(data, "label\ttext\n1\tgood\n1\tbad\n");
        File.WriteAllBytes(consumed, MaliciousPickle);
        File.WriteAllBytes(produced, TestModels.DataPickle(2));
        var state = Path.Combine(p.Directory, "obj", "mlguard");
        var core = new PackedCore(packages);
        core.ForgeDigest(Path.Combine(state, "training-inputs.hashcache"), data, locked.Data.Item1, locked.Data.Item2);
        // The training-data check reads the inputs first and the training-input guard takes its digests: forge its cache too.
        core.ForgeCheckedDigest(Path.Combine(state, "training-data.hashcache"), data, locked.Data.Item1, locked.Data.Item2, "Tsv");
        core.ForgeDigest(Path.Combine(state, "model-outputs.net10.0.hashcache"), produced, locked.Model.Item1, locked.Model.Item2);
        core.ForgeCleanScan(Path.Combine(state, "model-scan.cache"), consumed);

        var lockedMode = p.Build("--no-restore", "-p:MlGuardLockMode=Locked");
        var onCi = p.Build(["--no-restore", .. CiBuild]);
        // An ordinary local build trusts the (forged) entries: the forgery works where obj/ is trusted, so the two builds
        // above caught the changes because they read no cache, not because the entries were malformed.
        var local = p.Build("--no-restore");
        // The produced model is checked after the build, which the changes above stop first: put data and model back.
        File.WriteAllText(data, originalData);
        File.WriteAllBytes(consumed, TestModels.DataPickle(1));
        var producedOnCi = p.Build(["--no-restore", .. CiBuild]);

        foreach (var build in new[] { lockedMode, onCi })
        {
            Assert.Equal(1, build.ExitCode);
            Assert.Contains(build.Diagnostics, d => d is { Kind: "error", Code: "MLG402" } && d.Message.Contains("'data/train.tsv'", StringComparison.Ordinal));
            Assert.Contains(build.Diagnostics, d => d is { Kind: "error", Code: "MLG301" } && d.File == consumed);
        }

        Assert.True(local.ExitCode == 0, local.ToString());
        Assert.DoesNotContain(local.Diagnostics, d => d.Code is "MLG402" or "MLG301" or "MLG503");
        Assert.Equal(1, producedOnCi.ExitCode);
        var notReproduced = Assert.Single(producedOnCi.Diagnostics);
        Assert.Equal(("error", "MLG503"), (notReproduced.Kind, notReproduced.Code));
        Assert.Contains($"now sha256 {Sha256Of(produced)}", notReproduced.Message, StringComparison.Ordinal);
    }

    private static string[] CiBuild => ["-p:ContinuousIntegrationBuild=true", "-p:RestoreLockedMode=true", "-p:MlGuardRequireSignedOutputs=false"];
}
