using System.Security.Cryptography;
using MlBuildGuard.Core.Configuration;
using MlBuildGuard.Core.DataValidation;
using MlBuildGuard.Core.Hashing;
using MlBuildGuard.Core.IO;
using MlBuildGuard.Core.Secrets;
using MlBuildGuard.Core.TrainingData;
using MlBuildGuard.Core.TrainingInputs;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests.TrainingData;

/// <summary>
/// A build reads each changed training input once: the training-data check's read gives the digest, the credentials, the
/// personal data and the schema's verdict, and the training-input guard takes that digest from the build's ledger.
/// </summary>
public sealed class OneReadPerBuildTests : IDisposable
{
    private const string Schema = "fields:\n  - {name: x, type: number, constraints: {minimum: 0}}\n  - {name: contact, type: string}\n";
    private static readonly string PemHeader = "-----BEGIN " + "PRIVATE KEY-----";

    private readonly TempDirectory _project = new("mlguard-oneread");

    public void Dispose() => _project.Dispose();

    private string LockPath => _project.Combine("mlguard.lock.json");

    private TrainingDataResult CheckData(BuildFileLedger files, SecretConfiguration? secrets = null, params DataInputItem[] inputs) =>
        TrainingDataGuard.Run(new TrainingDataRequest
        {
            ProjectDirectory = _project.Path,
            LockFilePath = LockPath,
            Mode = LockMode.Auto,
            Inputs = inputs,
            Secrets = secrets ?? SecretConfiguration.BuiltIn,
            CacheFilePath = _project.Combine("obj", "training-data.hashcache"),
            VerdictCacheDirectory = _project.Combine("obj", "data-verdicts"),
            Files = files,
        });

    private TrainingInputResult VerifyInputs(BuildFileLedger files, LockMode mode, params string[] paths) => TrainingInputGuard.Run(new TrainingInputRequest
    {
        ProjectDirectory = _project.Path,
        ProjectFile = _project.Combine("p.csproj"),
        LockFilePath = LockPath,
        Mode = mode,
        Items = [.. paths.Select(p => new TrainingInputItem(p))],
        CacheFilePath = _project.Combine("obj", "training-inputs.hashcache"),
        Files = files,
    });

    [Fact]
    public void A_changed_input_with_a_schema_is_read_once_for_its_digest_credentials_personal_data_and_verdict()
    {
        _project.Write("schema.yaml", Schema);
        var data = _project.Write("data/a.csv", "x,contact\n1,ada@example.org\n-2,grace@example.net\n3,alan@example.com\n");
        var files = new BuildFileLedger(_project.Path);

        var checkedData = CheckData(files, null, new DataInputItem("data/a.csv", "schema.yaml"));
        var verified = VerifyInputs(files, LockMode.Auto, "data/a.csv");

        Assert.Equal((1, 0, 0), (checkedData.FilesRead, checkedData.FilesFromCache, checkedData.FilesReadForSchema));
        Assert.Contains(checkedData.Findings, f => f.Code == "MLG701" || f.Code == "MLG702"); // x = -2 breaks the minimum
        Assert.Contains(checkedData.Findings, f => f.Code == "MLG802");
        Assert.Equal((0, 1), (verified.FilesRead, verified.FilesReadByOtherGuard));
        var locked = Core.Locking.LockFileReader.Read(LockPath);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(data))), locked.TrainingInputs["data/a.csv"].Sha256);
    }

    [Fact]
    public void An_unchanged_input_is_read_again_only_when_its_schema_verdict_is_not_cached_and_gives_the_same_findings()
    {
        _project.Write("schema.yaml", Schema);
        _project.Write("data/a.csv", "x,contact\n1,a\n-2,b\n");
        Thread.Sleep(TimeSpan.FromSeconds(2.2)); // the stamp cache never trusts a file changed within the last two seconds
        var input = new DataInputItem("data/a.csv", "schema.yaml");
        var first = CheckData(new BuildFileLedger(_project.Path), null, input);

        Directory.Delete(_project.Combine("obj", "data-verdicts"), recursive: true);
        var second = CheckData(new BuildFileLedger(_project.Path), null, input);
        var third = CheckData(new BuildFileLedger(_project.Path), null, input);

        Assert.Equal((1, 0), (first.FilesRead, first.FilesReadForSchema));
        Assert.Equal((0, 1, 1), (second.FilesRead, second.FilesFromCache, second.FilesReadForSchema));
        Assert.Equal((0, 1, 0), (third.FilesRead, third.FilesFromCache, third.FilesReadForSchema));
        Assert.Equal(first.Findings.Select(f => f.Message), second.Findings.Select(f => f.Message));
        Assert.Equal(first.Findings.Select(f => f.Message), third.Findings.Select(f => f.Message));
    }

    [Fact]
    public void On_an_unchanged_rebuild_the_training_input_guard_takes_the_data_checks_cached_digests_without_loading_its_own_cache()
    {
        _project.Write("data/a.csv", "x\n1\n");
        Thread.Sleep(TimeSpan.FromSeconds(2.2)); // the stamp cache never trusts a file changed within the last two seconds
        var input = new DataInputItem("data/a.csv", null);
        var build1 = new BuildFileLedger(_project.Path);
        CheckData(build1, null, input);
        VerifyInputs(build1, LockMode.Auto, "data/a.csv");
        var build2 = new BuildFileLedger(_project.Path);

        var data = CheckData(build2, null, input);
        var verified = VerifyInputs(build2, LockMode.Auto, "data/a.csv");
        var alone = VerifyInputs(new BuildFileLedger(_project.Path), LockMode.Auto, "data/a.csv");

        Assert.Equal((0, 1), (data.FilesRead, data.FilesFromCache));
        Assert.Equal((0, 0, 1), (verified.FilesRead, verified.FilesReadByOtherGuard, verified.FilesFromCache));
        Assert.Empty(verified.Findings);
        Assert.Equal(1, alone.FilesRead); // its own cache was never needed, so never written: alone it reads
    }

    [Fact]
    public void A_private_key_in_an_input_the_data_check_read_is_still_MLG606_without_a_second_read()
    {
        _project.Write("data/notes.txt", $"intro\n{PemHeader}\nMIIB\n-----END PRIVATE KEY-----\n");
        var files = new BuildFileLedger(_project.Path);

        CheckData(files, null, new DataInputItem("data/notes.txt", null));
        var verified = VerifyInputs(files, LockMode.Auto, "data/notes.txt");

        Assert.Equal((0, 1), (verified.FilesRead, verified.FilesReadByOtherGuard));
        Assert.Contains(verified.Findings, f => f.Code == "MLG606");
    }

    [Fact]
    public void When_an_allowlist_could_hide_a_private_key_the_training_input_guard_reads_for_itself()
    {
        var rules = _project.Write("gitleaks.toml", "[allowlist]\npaths = ['''data/.*''']\n");
        _project.Write("data/notes.txt", $"{PemHeader}\nMIIB\n");
        var files = new BuildFileLedger(_project.Path);

        var checkedData = CheckData(files, SecretConfiguration.Load(rules, null), new DataInputItem("data/notes.txt", null));
        var verified = VerifyInputs(files, LockMode.Auto, "data/notes.txt");

        Assert.DoesNotContain(checkedData.Findings, f => f.Code is "MLG801" or "MLG606");
        Assert.Equal((1, 0), (verified.FilesRead, verified.FilesReadByOtherGuard));
        Assert.Contains(verified.Findings, f => f.Code == "MLG606");
    }

    [Fact]
    public void A_Locked_build_reads_every_input_once_in_all()
    {
        var data = _project.Write("data/a.csv", "x,contact\n1,a\n");
        VerifyInputs(new BuildFileLedger(_project.Path), LockMode.Auto, "data/a.csv"); // writes the lock
        Thread.Sleep(TimeSpan.FromSeconds(2.2));
        VerifyInputs(new BuildFileLedger(_project.Path), LockMode.Auto, "data/a.csv"); // fills the stamp cache
        var files = new BuildFileLedger(_project.Path);

        var checkedData = TrainingDataGuard.Run(new TrainingDataRequest
        {
            ProjectDirectory = _project.Path,
            LockFilePath = LockPath,
            Mode = LockMode.Locked,
            Inputs = [new DataInputItem("data/a.csv", null)],
            CacheFilePath = _project.Combine("obj", "training-data.hashcache"),
            Files = files,
        });
        var verified = VerifyInputs(files, LockMode.Locked, "data/a.csv");

        Assert.Equal((1, 0), (checkedData.FilesRead, checkedData.FilesFromCache));
        Assert.Equal((0, 0, 1), (verified.FilesFromCache, verified.FilesRead, verified.FilesReadByOtherGuard));
        Assert.Empty(verified.Findings);
        Assert.True(File.Exists(data));
    }

    [Fact]
    public void A_Locked_check_given_a_stamp_cache_path_neither_reads_nor_writes_it()
    {
        _project.Write("data/a.csv", "x,contact\n1,a\n");
        VerifyInputs(new BuildFileLedger(_project.Path), LockMode.Auto, "data/a.csv"); // writes the lock
        Thread.Sleep(TimeSpan.FromSeconds(2.2)); // an input changed in the last two seconds is never cached anyway
        var cache = _project.Combine("obj", "locked-check.hashcache");

        var checkedData = TrainingDataGuard.Run(new TrainingDataRequest
        {
            ProjectDirectory = _project.Path,
            LockFilePath = LockPath,
            Mode = LockMode.Locked,
            Inputs = [new DataInputItem("data/a.csv", null)],
            CacheFilePath = cache,
            Files = new BuildFileLedger(_project.Path),
        });

        Assert.Equal((1, 0), (checkedData.FilesRead, checkedData.FilesFromCache));
        Assert.False(File.Exists(cache));
    }

    [Fact]
    public void The_hasher_takes_a_digest_read_this_build_only_for_the_same_stamp_and_only_with_a_key_verdict_when_it_needs_one()
    {
        var path = _project.Write("data/a.bin", "abc");
        var files = new BuildFileLedger(_project.Path);
        var stamp = files.Look(path).Stamp;
        var planted = new FileDigest(new byte[32], 3); // not the file's digest: taking it proves the file was not read

        files.RecordDigest(path, stamp, planted, keysDecided: false);
        var withoutVerdict = FileSetHasher.Hash([path], null, files: files);
        files.RecordDigest(path, stamp, planted, keysDecided: false); // the read above offered the real digest
        var digestOnly = FileSetHasher.Hash([path], null, files: files, detectPrivateKeys: false);
        files.RecordDigest(path, stamp with { ChangedTicks = stamp.ChangedTicks + 1 }, planted, keysDecided: true);
        var otherStamp = FileSetHasher.Hash([path], null, files: files);
        files.RecordDigest(path, stamp, planted, keysDecided: true);
        var taken = FileSetHasher.Hash([path], null, files: files);

        var real = Convert.ToHexStringLower(SHA256.HashData("abc"u8));
        Assert.Equal(real, withoutVerdict[0].Digest!.Value.Hex);
        Assert.Equal(new string('0', 64), digestOnly[0].Digest!.Value.Hex);
        Assert.Equal(real, otherStamp[0].Digest!.Value.Hex);
        Assert.Equal((new string('0', 64), true), (taken[0].Digest!.Value.Hex, taken[0].ReadByOtherGuard));
    }

    [Fact]
    public void The_ledger_looks_at_a_path_once_and_catches_links_that_leave_the_project()
    {
        using var outside = new TempDirectory("mlguard-outside");
        var secret = outside.Write("s.csv", "s");
        var real = _project.Write("data/real.csv", "r");
        File.CreateSymbolicLink(_project.Combine("data", "out.csv"), secret);
        File.CreateSymbolicLink(_project.Combine("data", "in.csv"), "real.csv");
        Directory.CreateSymbolicLink(_project.Combine("linkdir"), outside.Path);
        var files = new BuildFileLedger(_project.Path);

        Assert.Equal(Containment.Inside, files.Containment(real));
        Assert.Equal(Containment.Inside, files.Containment(_project.Combine("data", "in.csv")));
        Assert.Equal(Containment.LinkLeavesRoot, files.Containment(_project.Combine("data", "out.csv")));
        Assert.Equal(Containment.LinkLeavesRoot, files.Containment(_project.Combine("linkdir", "s.csv")));
        Assert.Equal(Containment.OutsideRoot, files.Containment(secret));
        Assert.True(files.Look(_project.Combine("data", "in.csv")) is { IsLink: true, Kind: FileKind.Regular });

        var before = files.Look(real);
        File.AppendAllText(real, "more");
        Assert.Equal(before, files.Look(real)); // one look per build: the guards of one build see the same stamp
        Assert.NotEqual(before.Stamp, new BuildFileLedger(_project.Path).Look(real).Stamp);
    }
}
