using MlBuildGuard.Core.Configuration;
using MlBuildGuard.Core.DataValidation;
using MlBuildGuard.Core.IO;
using MlBuildGuard.Core.Models;
using MlBuildGuard.Core.Secrets;
using MlBuildGuard.Core.TrainingData;
using MlBuildGuard.Core.TrainingInputs;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests;

/// <summary>
/// A no-change rebuild replays each guard's last answer (findings, counts, personal-data kinds) instead of working it out,
/// and any change to what the answer rests on makes the guard work again; CI, <c>Locked</c> and <c>Update</c> builds never replay.
/// </summary>
public sealed class ReplayedAnswerTests : IDisposable
{
    private readonly TempDirectory _project = new("mlguard-replay");

    public void Dispose() => _project.Dispose();

    private string LockPath => _project.Combine("mlguard.lock.json");

    private static void AgeFiles() => Thread.Sleep(GuardVerdict.RacyWindow + TimeSpan.FromMilliseconds(200));

    private TrainingDataResult CheckData(BuildFileLedger files, LockMode mode = LockMode.Auto, string? cache = "obj/training-data.hashcache") =>
        TrainingDataGuard.Run(new TrainingDataRequest
        {
            ProjectDirectory = _project.Path,
            LockFilePath = LockPath,
            Mode = mode,
            Inputs = [new DataInputItem("data/people.csv", null, Pii: "allow"), new DataInputItem("data/b.csv", null)],
            Secrets = SecretConfiguration.BuiltIn,
            CacheFilePath = cache is null ? null : _project.Combine(cache),
            Files = files,
        });

    private TrainingInputResult VerifyInputs(BuildFileLedger files, LockMode mode = LockMode.Auto) => TrainingInputGuard.Run(new TrainingInputRequest
    {
        ProjectDirectory = _project.Path,
        ProjectFile = _project.Combine("p.csproj"),
        LockFilePath = LockPath,
        Mode = mode,
        Items = [new TrainingInputItem("data/people.csv"), new TrainingInputItem("data/b.csv")],
        CacheFilePath = _project.Combine("obj", "training-inputs.hashcache"),
        StagingDirectory = _project.Combine("obj", "lock-parts"),
        Files = files,
    });

    private void CommitStagedLock()
    {
        Core.Locking.LockCommit.Commit([.. Directory.EnumerateFiles(_project.Combine("obj", "lock-parts"))], LockPath);
    }

    [Fact]
    public void The_training_data_check_replays_its_findings_and_personal_data_kinds_and_works_again_after_a_change()
    {
        _project.Write("data/people.csv", "name,email\nada,ada@example.org\ngrace,grace@example.net\nalan,alan@example.com\n");
        _project.Write("data/b.csv", "x\n1\n");
        AgeFiles();

        var first = CheckData(new BuildFileLedger(_project.Path));
        File.Delete(_project.Combine("obj", "training-data.hashcache")); // only the answer can spare the reads now
        var second = CheckData(new BuildFileLedger(_project.Path));

        Assert.Equal(2, first.FilesRead);
        Assert.Equal((0, 2), (second.FilesRead, second.FilesFromCache));
        Assert.Equal(first.Findings.Select(f => (f.Code, f.Message, f.Location?.FilePath)), second.Findings.Select(f => (f.Code, f.Message, f.Location?.FilePath)));
        Assert.Contains(second.Findings, f => f.Code == "MLG802" && f.Severity == Diagnostics.Severity.Warning); // Pii="allow"
        Assert.Equal(["email"], second.PersonalDataKinds["data/people.csv"]);

        _project.Write("data/b.csv", "x\n1\n2\n");
        var third = CheckData(new BuildFileLedger(_project.Path));
        Assert.Equal(2, third.FilesRead); // the answer no longer holds, and the stamp cache is gone: both are read
    }

    [Fact]
    public void After_a_replayed_data_check_the_training_input_guard_still_takes_digests_without_reading_when_its_own_answer_does_not_hold()
    {
        _project.Write("data/people.csv", "name\nada\n");
        _project.Write("data/b.csv", "x\n1\n");
        AgeFiles();
        var build1 = new BuildFileLedger(_project.Path);
        CheckData(build1);
        VerifyInputs(build1);
        CommitStagedLock(); // the lock is new: the next build's training-input answer rests on another lock than the one recorded
        AgeFiles();

        var build2 = new BuildFileLedger(_project.Path);
        var data = CheckData(build2);
        var inputs = VerifyInputs(build2);

        Assert.Equal((0, 2), (data.FilesRead, data.FilesFromCache)); // replayed
        Assert.Equal((0, 0), (inputs.FilesRead, inputs.FilesReadByOtherGuard)); // digests from the check's stamp cache, learned on request
        Assert.Equal(2, inputs.FilesFromCache);
        Assert.Empty(inputs.Findings);

        var build3 = new BuildFileLedger(_project.Path);
        var replayed = VerifyInputs(build3);
        Assert.True(replayed.LockUnchanged);
        Assert.Equal((0, 2), (replayed.FilesRead, replayed.FilesFromCache));
    }

    [Fact]
    public void The_training_input_guard_works_again_when_an_input_changes_and_reports_it()
    {
        _project.Write("data/people.csv", "name\nada\n");
        _project.Write("data/b.csv", "x\n1\n");
        AgeFiles();
        VerifyInputs(new BuildFileLedger(_project.Path));
        CommitStagedLock();
        AgeFiles();
        VerifyInputs(new BuildFileLedger(_project.Path)); // records the answer for this lock
        Assert.True(VerifyInputs(new BuildFileLedger(_project.Path)).LockUnchanged);

        _project.Write("data/b.csv", "x\n2\n");
        var changed = VerifyInputs(new BuildFileLedger(_project.Path));

        Assert.Contains(changed.Findings, f => f.Code == "MLG402");
        Assert.Equal(1, changed.FilesRead);
    }

    [Fact]
    public void Locked_and_update_builds_and_builds_without_a_cache_never_replay()
    {
        _project.Write("data/people.csv", "name\nada\n");
        _project.Write("data/b.csv", "x\n1\n");
        AgeFiles();
        CheckData(new BuildFileLedger(_project.Path));

        // Without the stamp cache, only a replayed answer avoids reading the inputs.
        File.Delete(_project.Combine("obj", "training-data.hashcache"));
        Assert.Equal(2, CheckData(new BuildFileLedger(_project.Path), LockMode.Locked).FilesRead);
        Assert.Equal(2, CheckData(new BuildFileLedger(_project.Path), cache: null).FilesRead);
        Assert.Equal((0, 2), CheckData(new BuildFileLedger(_project.Path)) is var auto ? (auto.FilesRead, auto.FilesFromCache) : default);
        File.Delete(_project.Combine("obj", "training-data.hashcache"));
        Assert.Equal(2, CheckData(new BuildFileLedger(_project.Path), LockMode.Update).FilesRead);
    }

    [Fact]
    public void The_model_scan_replays_its_findings_and_scans_again_when_a_project_item_changes()
    {
        var clean = _project.Write("data/notes.txt", "not a model\n");
        var other = _project.Write("data/other.bin", "plain bytes");
        AgeFiles();
        ModelScanGuardResult Scan() => ModelScanGuard.Run(new ModelScanRequest
        {
            ProjectDirectory = _project.Path,
            ProjectItems = [clean, other],
            CacheFilePath = _project.Combine("obj", "model-scan.cache"),
            Files = new BuildFileLedger(_project.Path),
        });

        Assert.Empty(Scan().Findings);
        var replayed = Scan();
        Assert.Empty(replayed.Findings);
        Assert.Equal(0, replayed.Scanned);

        // A pickle that imports os.system takes the place of a plain file: the answer no longer holds.
        byte[] pickle = [0x80, 0x02, (byte)'c', .. "os\nsystem\n"u8, (byte)'.'];
        File.WriteAllBytes(other, pickle);
        Assert.Contains(Scan().Findings, f => f.Code == "MLG301");
        AgeFiles();
        Assert.Contains(Scan().Findings, f => f.Code == "MLG301"); // recorded with its finding, and replayed with it
        var again = Scan();
        Assert.Contains(again.Findings, f => f.Code == "MLG301");
        Assert.Equal((1, 0), (again.Models, again.Scanned));
    }

    [Fact]
    public void Temporary_files_of_interrupted_writes_are_recognised_by_name()
    {
        Assert.True(AtomicFile.IsTemporary("/p/obj/.mlguard.lock.json.4242-0a1b2c3d.tmp"));
        Assert.True(AtomicFile.IsTemporary(".x.1-deadbeef.tmp"));
        Assert.False(AtomicFile.IsTemporary("/p/data/model.tmp"));
        Assert.False(AtomicFile.IsTemporary("/p/data/.hidden-0a1b2c3d.tmp2"));
        Assert.False(AtomicFile.IsTemporary("/p/data/.x.1-0A1B2C3D.tmp")); // ours are lower-case hex
        Assert.False(AtomicFile.IsTemporary("/p/data/x.1-0a1b2c3d.tmp")); // ours start with a dot
    }
}
