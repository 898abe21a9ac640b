using System.Security.Cryptography;
using System.Text.Json;
using MlBuildGuard.Core.Hashing;
using MlBuildGuard.Core.IO;
using MlBuildGuard.Core.Locking;
using MlBuildGuard.Core.Signing;
using MlBuildGuard.EndToEnd.Tests.Infrastructure;

namespace MlBuildGuard.EndToEnd.Tests;

/// <summary>
/// Several `dotnet build` processes of one multi-targeted project at once, each with -m: the lock, the signatures, the
/// SARIF log, the provenance and the caches they leave parse, and agree with each other and with the files.
/// </summary>
[Collection(PackagesCollection.Name)]
public sealed class ConcurrentBuildTests(PackagesFixture packages)
{
    private static string Sha256Of(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    [Fact]
    public async Task Builds_of_one_project_at_once_leave_a_lock_signatures_SARIF_and_caches_that_parse_and_agree()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var p = new TestProject(packages, "parallel").WithProject("""
              <ItemGroup>
                <MlTrainingInput Include="data/*.tsv" />
                <MlModelOutput Include="models/out.pt" />
              </ItemGroup>
            """, "net10.0;net9.0");
        p.Environment["MLGUARD_SIGNING_KEY"] = key.ExportPkcs8PrivateKeyPem();
        var data = p.Write("data/train.tsv", "label\ttext\n1\tgood\n0\tbad\n");
        var model = Path.Combine(p.Directory, "models", "out.pt");
        TestModels.WriteCheckpoint(model, TestModels.DataPickle(1));
        var first = p.Build("-m:2");
        Assert.True(first.ExitCode == 0, first.ToString());

        // New data and a new model: each of the builds below has a lock to write, a model to normalize and sign, and caches
        // to update, for both frameworks, all at the same time.
        p.Write("data/train.tsv", "label\ttext\n1\tgood\n0\tbad\n1\tfine\n");
        TestModels.WriteCheckpoint(model, TestModels.DataPickle(2));
        var builds = await Task.WhenAll(Enumerable.Range(0, 3)
            .Select(_ => Task.Run(() => p.Build("--no-restore", "-m:2", "-p:MlGuardUpdateLock=true"))));

        foreach (var build in builds)
        {
            Assert.True(build.ExitCode == 0, build.ToString());
            Assert.DoesNotContain("MSB4018", build.Output, StringComparison.Ordinal);
        }

        // The lock: well-formed, and it records the data and the model as they are.
        var locked = LockFileReader.Read(p.LockFile);
        Assert.Equal(Sha256Of(data), locked.TrainingInputs["data/train.tsv"].Sha256);
        Assert.Equal(Sha256Of(model), locked.ModelOutputs["models/out.pt"].Sha256);

        // The signature: whole, and it verifies the model as it is.
        var publicKey = OmsPublicKey.FromPem(key.ExportSubjectPublicKeyInfoPem());
        var verified = OmsVerifier.VerifyFile(model, model + ".sig", publicKey);
        Assert.True(verified.IsValid, verified.Message);

        // SARIF, provenance and ML-BOM: whole JSON documents.
        using (var sarif = JsonDocument.Parse(File.ReadAllBytes(p.Sarif)))
        {
            Assert.Equal("2.1.0", sarif.RootElement.GetProperty("version").GetString());
        }

        foreach (var framework in new[] { "net10.0", "net9.0" })
        {
            var output = Path.Combine(p.Directory, "bin", "Debug", framework);
            using var provenance = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(output, "mlguard.provenance.json")));
            using var bom = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(output, "mlguard.cdx.json")));
        }

        // The stamp caches: whatever they say about a file as it is now is its true digest.
        var state = Path.Combine(p.Directory, "obj", "mlguard");
        foreach (var (cache, file) in new[] { ("training-inputs.hashcache", data), ("model-outputs.net10.0.hashcache", model), ("model-outputs.net9.0.hashcache", model) })
        {
            var loaded = HashCache.Load(Path.Combine(state, cache));
            if (FileStamp.TryGet(file, out var stamp) && loaded.TryGet(file, stamp, out var digest))
            {
                Assert.Equal(Sha256Of(file), digest.Hex);
            }
        }

        // Nothing half-done is left: every staged part was committed, every temporary file renamed.
        Assert.Empty(Directory.Exists(Path.Combine(state, "lock-parts")) ? Directory.GetFiles(Path.Combine(state, "lock-parts")) : []);
        Assert.Empty(Directory.GetFiles(p.Directory, ".*.tmp", SearchOption.AllDirectories));
    }
}
