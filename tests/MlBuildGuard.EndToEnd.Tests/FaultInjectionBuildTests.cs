using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using MlBuildGuard.Core.Locking;
using MlBuildGuard.Core.Signing;
using MlBuildGuard.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;

namespace MlBuildGuard.EndToEnd.Tests;

/// <summary>
/// Builds that die or cannot write: SIGKILL at random moments of the seal and the lock commit, a read-only and a full
/// output folder. Whatever happens, every file MlBuildGuard writes is the previous one or the new one, whole.
/// </summary>
[Collection(PackagesCollection.Name)]
public sealed class FaultInjectionBuildTests(PackagesFixture packages, ITestOutputHelper log)
{
    /// <summary>Kills per run: a handful in CI; MLGUARD_KILL_ITERATIONS for many (docs/fuzzing.md records a long run).</summary>
    private static readonly int KillIterations =
        int.TryParse(Environment.GetEnvironmentVariable("MLGUARD_KILL_ITERATIONS"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 3;

    private const string SealStarts = "TEST: the seal starts";

    private static string Sha256Of(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    /// <summary>A checkpoint large enough that normalizing, hashing and signing it take a while, with one varying entry.</summary>
    private static void WriteLargeCheckpoint(string path, byte version)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.Delete(path);
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        using (var s = zip.CreateEntry("archive/data.pkl").Open())
        {
            s.Write(TestModels.DataPickle(version));
        }

        var weights = new byte[24 << 20];
        new Random(version).NextBytes(weights);
        using (var s = zip.CreateEntry("archive/data/0", CompressionLevel.NoCompression).Open())
        {
            s.Write(weights);
        }
    }

    /// <summary>What a state of the project makes: the lock's two digests, and the normalized model with its digest.</summary>
    private sealed record Version(string Data, string DataDigest, byte ModelVersion, string NormalizedModel, string ModelDigest);

    [Fact]
    public void A_build_killed_during_the_seal_or_the_lock_commit_leaves_every_file_whole()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var p = new TestProject(packages, "killed").WithProject($"""
              <ItemGroup>
                <MlTrainingInput Include="data/train.tsv" />
                <MlModelOutput Include="models/out.pt" />
              </ItemGroup>
              <Target Name="AnnounceSeal" BeforeTargets="MlGuardNormalizeModelOutputs">
                <Message Importance="high" Text="{SealStarts}" />
              </Target>
            """);
        p.Environment["MLGUARD_SIGNING_KEY"] = key.ExportPkcs8PrivateKeyPem();
        var publicKey = OmsPublicKey.FromPem(key.ExportSubjectPublicKeyInfoPem());
        var data = Path.Combine(p.Directory, "data", "train.tsv");
        var model = Path.Combine(p.Directory, "models", "out.pt");
        var output = Path.Combine(p.Directory, "bin", "Debug", "net10.0");
        var keep = Path.Combine(p.Directory, "..", Path.GetFileName(p.Directory) + "-versions");

        // Two versions of data and model, each built once in full: what a whole new file may be.
        var versions = new List<Version>();
        var sealTakes = TimeSpan.Zero;
        foreach (var v in new byte[] { 1, 2 })
        {
            var text = $"label\ttext\n1\tgood\n0\tbad version {v}\n";
            p.Write("data/train.tsv", text);
            WriteLargeCheckpoint(model, v);
            using var build = p.StartBuild("-p:MlGuardUpdateLock=true");
            Assert.True(build.WaitForLine(SealStarts, TimeSpan.FromMinutes(10)), build.Output);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var result = build.WaitForExit(TimeSpan.FromMinutes(10), "calibration build");
            sealTakes = clock.Elapsed > sealTakes ? clock.Elapsed : sealTakes;
            Assert.True(result.ExitCode == 0, result.ToString());
            var normalized = Path.Combine(keep, v.ToString(CultureInfo.InvariantCulture), "out.pt");
            Directory.CreateDirectory(Path.GetDirectoryName(normalized)!);
            File.Copy(model, normalized);
            versions.Add(new Version(text, Sha256Of(data), v, normalized, Sha256Of(model)));
        }

        var random = new Random(20261126);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        void Count(string what) => seen[what] = seen.GetValueOrDefault(what) + 1;
        var killClock = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < KillIterations; i++)
        {
            var next = versions[i % 2];
            var previous = LockFileReader.Read(p.LockFile);
            p.Write("data/train.tsv", next.Data);
            WriteLargeCheckpoint(model, next.ModelVersion);

            using var build = p.StartBuild("-p:MlGuardUpdateLock=true");
            Assert.True(build.WaitForLine(SealStarts, TimeSpan.FromMinutes(10)), build.Output);
            Thread.Sleep(TimeSpan.FromMilliseconds(random.NextDouble() * sealTakes.TotalMilliseconds));
            build.KillGroup();
            var killed = build.WaitForExit(TimeSpan.FromMinutes(2), "killed build");

            // The lock: whole, and either as it was or with the new data and the new model together, never a mix.
            var locked = LockFileReader.Read(p.LockFile);
            var pair = (locked.TrainingInputs["data/train.tsv"].Sha256, locked.ModelOutputs["models/out.pt"].Sha256);
            var wasPrevious = pair == (previous.TrainingInputs["data/train.tsv"].Sha256, previous.ModelOutputs["models/out.pt"].Sha256);
            Assert.True(wasPrevious || pair == (next.DataDigest, next.ModelDigest), $"kill #{i}: the lock holds {pair}\n{killed.Output}");
            Count(wasPrevious ? "lock previous" : "lock new");

            // The model: the one written before the build, or its normalized form; its signature verifies one version.
            using (var whole = ZipFile.OpenRead(model))
            {
                Assert.True(whole.Entries.Count == 2, $"kill #{i}: the model is torn");
            }

            Count(Sha256Of(model) == next.ModelDigest ? "model normalized" : "model as written");
            Count(OmsVerifier.VerifyFile(next.NormalizedModel, model + ".sig", publicKey, new OmsVerifyOptions()).IsValid ? "signature new" : "signature previous");
            Assert.Contains(versions, v => OmsVerifier.VerifyFile(v.NormalizedModel, model + ".sig", publicKey, new OmsVerifyOptions()).IsValid);

            // Provenance, ML-BOM, SARIF and staged parts: whole documents.
            foreach (var document in new[] { Path.Combine(output, "mlguard.provenance.json"), Path.Combine(output, "mlguard.cdx.json"), p.Sarif })
            {
                using var parsed = JsonDocument.Parse(File.ReadAllBytes(document));
            }

            foreach (var part in Directory.GetFiles(Path.Combine(p.Directory, "obj", "mlguard", "lock-parts")))
            {
                StagedLockPart.Read(part);
            }
        }

        log.WriteLine($"{KillIterations} builds killed in {killClock.Elapsed.TotalSeconds:0} s (seal and commit take up to {sealTakes.TotalMilliseconds:0} ms): "
            + string.Join(", ", seen.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key} {e.Value}")));

        // The next build cleans up after the killed ones and records the state it built.
        var after = p.Build("--no-restore", "-p:MlGuardUpdateLock=true");
        Assert.True(after.ExitCode == 0, after.ToString());
        var final = LockFileReader.Read(p.LockFile);
        Assert.Equal(Sha256Of(data), final.TrainingInputs["data/train.tsv"].Sha256);
        Assert.Equal(Sha256Of(model), final.ModelOutputs["models/out.pt"].Sha256);
        Assert.Empty(Directory.GetFiles(p.Directory, ".mlguard.lock.json.*.tmp"));
        Directory.Delete(keep, recursive: true);
    }

    /// <summary>The signature's folder is read-only, then the lock's folder is full (each a small tmpfs).</summary>
    [Fact]
    public void A_read_only_or_full_folder_is_a_coded_error_and_leaves_no_partial_file()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var p = new TestProject(packages, "nospace").WithProject("""
              <PropertyGroup>
                <MlGuardLockFile>locks/mlguard.lock.json</MlGuardLockFile>
              </PropertyGroup>
              <ItemGroup>
                <MlTrainingInput Include="data/train.tsv" />
                <MlModelOutput Include="models/out.pkl" />
              </ItemGroup>
            """);
        p.Environment["MLGUARD_SIGNING_KEY"] = key.ExportPkcs8PrivateKeyPem();
        using var models = Tmpfs.Mount(Path.Combine(p.Directory, "models"), 256 * 1024);
        using var locks = Tmpfs.Mount(Path.Combine(p.Directory, "locks"), 64 * 1024);
        p.Write("data/train.tsv", "label\ttext\n1\tgood\n");
        var model = Path.Combine(p.Directory, "models", "out.pkl");
        var lockFile = Path.Combine(p.Directory, "locks", "mlguard.lock.json");
        File.WriteAllBytes(model, TestModels.DataPickle(1));
        var first = p.Build();
        Assert.True(first.ExitCode == 0, first.ToString());

        // The model's folder is read-only: it cannot take the new model's signature.
        File.WriteAllBytes(model, TestModels.DataPickle(2));
        var signatureBefore = File.ReadAllBytes(model + ".sig");
        models.Break("read-only");
        var cannotSign = p.Build("--no-restore", "-p:MlGuardUpdateLock=true");
        var signatureAfter = File.ReadAllBytes(model + ".sig");
        var leftInModels = Directory.GetFiles(models.Path).Order().ToArray();
        models.Repair();

        // The lock's folder is full: it cannot take the new lock.
        p.Write("data/train.tsv", "label\ttext\n1\tgood\n0\tbad\n");
        var lockBefore = File.ReadAllBytes(lockFile);
        var partsBefore = Directory.GetFiles(Path.Combine(p.Directory, "obj", "mlguard", "lock-parts"));
        locks.Break("full");
        var cannotLock = p.Build("--no-restore", "-p:MlGuardUpdateLock=true");
        var lockAfter = File.ReadAllBytes(lockFile);
        var leftInLocks = Directory.GetFiles(locks.Path).Where(f => !f.EndsWith(".filler", StringComparison.Ordinal)).ToList();
        locks.Repair();

        Assert.Equal(1, cannotSign.ExitCode);
        var signing = Assert.Single(cannotSign.Diagnostics, d => d.Kind == "error");
        Assert.Equal("MLG004", signing.Code);
        Assert.Contains("Read-only file system", signing.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("MSB4018", cannotSign.Output, StringComparison.Ordinal);
        Assert.Equal(signatureBefore, signatureAfter);
        Assert.Equal([model, model + ".sig"], leftInModels);

        Assert.Equal(1, cannotLock.ExitCode);
        var locking = Assert.Single(cannotLock.Diagnostics, d => d.Kind == "error");
        Assert.Equal(("MLG004", lockFile), (locking.Code, locking.File));
        Assert.Contains("locks/mlguard.lock.json was not written", locking.Message, StringComparison.Ordinal);
        Assert.Contains("No space left on device", locking.Message, StringComparison.Ordinal);
        Assert.Equal(lockBefore, lockAfter);
        Assert.Equal([lockFile], leftInLocks);
        // The failed commit discarded its build's parts (those of the build that failed at signing wait to be removed as stale).
        Assert.Subset(partsBefore.ToHashSet(), Directory.GetFiles(Path.Combine(p.Directory, "obj", "mlguard", "lock-parts")).ToHashSet());
    }
}
