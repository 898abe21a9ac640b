using MlBuildGuard.Core.DataValidation;
using MlBuildGuard.Core.Locking;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests.Locking;

/// <summary>One build, one lock: staged parts are applied together in one write, or not at all (SPEC §4).</summary>
public sealed class LockCommitTests : IDisposable
{
    private readonly TempDirectory _dir = new("mlguard-commit");

    public void Dispose() => _dir.Dispose();

    private string LockPath => _dir.Combine("mlguard.lock.json");

    private string Staging => _dir.Combine("obj", "mlguard", "lock-parts");

    private static LockedFile Entry(char c) => new(new string(c, 64), 1);

    private LockFile Start()
    {
        var start = new LockFile();
        start.TrainingInputs["data/a.tsv"] = Entry('1');
        start.ModelOutputs["bin/net10.0/model.zip"] = Entry('a');
        File.WriteAllBytes(LockPath, LockFileWriter.ToBytes(start));
        return start;
    }

    private string Stage(string name, LockFile? baseLock, LockFile proposed, params string[] changes) =>
        new StagedLockPart(name, baseLock, proposed, "1 changed", changes).Stage(Staging);

    [Fact]
    public void The_parts_of_one_build_are_written_together_once_with_one_story()
    {
        var start = Start();
        var inputs = Stage("training inputs", start, start.WithTrainingInputs([new("data/a.tsv", Entry('2'))]), "  ~ data/a.tsv");
        var models = Stage("model outputs (net10.0)", start, start.WithModelOutputs([new("bin/net10.0/model.zip", Entry('b'))]), "  ~ bin/net10.0/model.zip");

        var result = LockCommit.Commit([inputs, models], LockPath);

        var written = LockFileReader.Read(LockPath);
        Assert.Equal(new string('2', 64), written.TrainingInputs["data/a.tsv"].Sha256);
        Assert.Equal(new string('b', 64), written.ModelOutputs["bin/net10.0/model.zip"].Sha256);
        Assert.Equal(LockCommitOutcome.Updated, result.Outcome);
        Assert.Equal(
            ["wrote mlguard.lock.json: training inputs: 1 changed; model outputs (net10.0): 1 changed. Commit it.", "  ~ data/a.tsv", "  ~ bin/net10.0/model.zip"],
            result.Story("mlguard.lock.json"));
        Assert.Empty(Directory.GetFiles(Staging)); // committed parts are gone
        Assert.Empty(Directory.GetFiles(_dir.Path, "*.tmp")); // one atomic replacement
    }

    [Fact]
    public void A_commit_applies_only_what_its_build_changed_and_keeps_what_another_build_committed()
    {
        var start = Start();
        // The training inputs changed from the starting lock ...
        var outer = Stage("training inputs", start, start.WithTrainingInputs([new("data/a.tsv", Entry('2'))]));
        // ... while another build recorded a new model from the same lock and committed first.
        LockCommit.Commit([Stage("model outputs", start, start.WithModelOutputs([new("bin/net10.0/model.zip", Entry('b'))]))], LockPath);
        LockCommit.Commit([outer], LockPath);

        var result = LockFileReader.Read(LockPath);
        Assert.Equal(new string('2', 64), result.TrainingInputs["data/a.tsv"].Sha256);
        Assert.Equal(new string('b', 64), result.ModelOutputs["bin/net10.0/model.zip"].Sha256); // not set back to 'a'
    }

    [Fact]
    public void Data_profiles_and_model_metrics_are_committed_with_the_digests_and_kept_by_later_parts()
    {
        var start = Start();
        var profile = new DataProfile(10, new SortedDictionary<string, ColumnProfile>(Utf8OrdinalComparer.Instance)
        {
            ["x"] = new ColumnProfile { Kind = ColumnKinds.Other, NullFraction = 0.1 },
        });
        var metrics = new LockedMetrics(new SortedDictionary<string, double>(Utf8OrdinalComparer.Instance) { ["accuracy"] = 0.9 },
            new SortedDictionary<string, string>(Utf8OrdinalComparer.Instance) { ["data/a.tsv"] = new string('1', 64) });
        var inputs = Stage("training inputs", start, start.WithTrainingInputs([new("data/a.tsv", Entry('2'))]).WithDataProfiles([new("data/a.tsv", profile)]));
        var gate = Stage("model metrics", start, start.WithModelMetrics([new("eval/metrics.json", metrics)]));
        LockCommit.Commit([inputs, gate], LockPath);
        // A later build that changes only the model outputs keeps both sections as they are.
        var now = LockFileReader.Read(LockPath);
        LockCommit.Commit([Stage("model outputs", now, now.WithModelOutputs([new("bin/net10.0/model.zip", Entry('c'))]))], LockPath);

        var result = LockFileReader.Read(LockPath);
        Assert.Equal(new string('2', 64), result.TrainingInputs["data/a.tsv"].Sha256);
        Assert.True(result.DataProfiles["data/a.tsv"].ContentEquals(profile));
        Assert.True(result.ModelMetrics["eval/metrics.json"].ContentEquals(metrics));
        Assert.Equal(new string('c', 64), result.ModelOutputs["bin/net10.0/model.zip"].Sha256);
    }

    [Fact]
    public void A_part_removes_only_the_entries_it_removed()
    {
        var start = Start();
        var without = new LockFile().WithModelOutputs(start.ModelOutputs);
        LockCommit.Commit([Stage("training inputs", start, without)], LockPath);

        var result = LockFileReader.Read(LockPath);
        Assert.Empty(result.TrainingInputs);
        Assert.Equal(["bin/net10.0/model.zip"], result.ModelOutputs.Keys);
    }

    [Fact]
    public void Parts_made_without_a_lock_create_it()
    {
        var inputs = new LockFile();
        inputs.TrainingInputs["data/a.tsv"] = Entry('1');
        var models = new LockFile();
        models.ModelOutputs["model.zip"] = Entry('e');

        var result = LockCommit.Commit([Stage("training inputs", null, inputs), Stage("model outputs", null, models)], LockPath);

        Assert.Equal(LockCommitOutcome.Created, result.Outcome);
        Assert.StartsWith("wrote mlguard.lock.json (created): ", result.Story("mlguard.lock.json")[0], StringComparison.Ordinal);
        var written = LockFileReader.Read(LockPath);
        Assert.Equal(["data/a.tsv"], written.TrainingInputs.Keys);
        Assert.Equal(["model.zip"], written.ModelOutputs.Keys);
    }

    [Fact]
    public void Nothing_staged_or_nothing_new_writes_nothing_and_tells_no_story()
    {
        var start = Start();
        var bytes = File.ReadAllBytes(LockPath);

        var none = LockCommit.Commit([], LockPath);
        var same = LockCommit.Commit([Stage("training inputs", start, start)], LockPath);

        Assert.Equal((LockCommitOutcome.NothingStaged, LockCommitOutcome.Unchanged), (none.Outcome, same.Outcome));
        Assert.Empty(none.Story("mlguard.lock.json"));
        Assert.Empty(same.Story("mlguard.lock.json"));
        Assert.Equal(bytes, File.ReadAllBytes(LockPath));
    }

    [Fact]
    public void A_lock_that_became_malformed_is_refused_and_left_as_it_is()
    {
        var start = Start();
        var part = Stage("training inputs", start, start.WithTrainingInputs([new("data/a.tsv", Entry('2'))]));
        File.WriteAllText(LockPath, "{ \"version\": 1, \"trainingInputs\": 42 }\n");

        var e = Assert.Throws<LockFileException>(() => LockCommit.Commit([part], LockPath));

        Assert.Equal(1, e.Line);
        Assert.Equal("{ \"version\": 1, \"trainingInputs\": 42 }\n", File.ReadAllText(LockPath));
    }

    [Fact]
    public void A_damaged_part_writes_nothing()
    {
        var start = Start();
        var bytes = File.ReadAllBytes(LockPath);
        var good = Stage("training inputs", start, start.WithTrainingInputs([new("data/a.tsv", Entry('2'))]));
        var damaged = Stage("model outputs", start, start);
        File.WriteAllText(damaged, File.ReadAllText(damaged)[..40]);

        Assert.Throws<InvalidDataException>(() => LockCommit.Commit([good, damaged], LockPath));

        Assert.Equal(bytes, File.ReadAllBytes(LockPath));
    }

    [Fact]
    public void The_preview_is_what_the_commit_writes()
    {
        var start = Start();
        var parts = new[]
        {
            Stage("training inputs", start, start.WithTrainingInputs([new("data/a.tsv", Entry('2')), new("data/b.tsv", Entry('3'))])),
        };

        var preview = LockFileWriter.ToBytes(LockCommit.Preview(parts, LockPath));
        LockCommit.Commit(parts, LockPath);

        Assert.Equal(preview, File.ReadAllBytes(LockPath));
    }

    [Fact]
    public void A_part_reads_back_as_it_was_staged()
    {
        var start = Start();
        var proposed = start.WithTrainingInputs([new("data/ü.tsv", Entry('4') with { Source = "https://example.org/d" })]);

        var part = StagedLockPart.Read(Stage("training inputs", start, proposed, "  + data/ü.tsv"));

        Assert.Equal(("training inputs", "1 changed"), (part.Name, part.Summary));
        Assert.Equal(LockFileWriter.ToBytes(start), LockFileWriter.ToBytes(part.Base!));
        Assert.Equal(LockFileWriter.ToBytes(proposed), LockFileWriter.ToBytes(part.Proposed));
        Assert.Equal(["  + data/ü.tsv"], part.Changes);
    }

    [Fact]
    public void An_outer_build_claim_is_seen_while_held_and_gone_once_released()
    {
        var state = _dir.Combine("obj", "mlguard");

        var before = OuterBuildClaim.IsHeld(state);
        bool during;
        using (OuterBuildClaim.Take(state))
        {
            using var second = OuterBuildClaim.Take(state); // two outer builds of one project at once
            during = OuterBuildClaim.IsHeld(state);
        }

        Assert.False(before);
        Assert.True(during);
        Assert.False(OuterBuildClaim.IsHeld(state));
    }

    [Fact]
    public void The_parts_an_outer_build_recorded_are_seen_only_while_it_holds_the_claim()
    {
        var state = _dir.Combine("obj", "mlguard");
        var part = _dir.Combine("obj", "mlguard", "lock-parts", "training.lockpart");

        IReadOnlyList<string> during, emptied;
        using (OuterBuildClaim.Take(state))
        {
            OuterBuildClaim.RecordParts(state, [part]);
            during = OuterBuildClaim.PartsOfRunningOuterBuild(state);
            OuterBuildClaim.RecordParts(state, []); // the next outer build staged nothing: the list is rewritten
            emptied = OuterBuildClaim.PartsOfRunningOuterBuild(state);
            OuterBuildClaim.RecordParts(state, [part]);
        }

        Assert.Equal([Path.GetFullPath(part)], during);
        Assert.Empty(emptied);
        Assert.Empty(OuterBuildClaim.PartsOfRunningOuterBuild(state)); // a list left by an outer build that ended
    }

    [Fact]
    public void Parts_that_cannot_be_recorded_are_reported_and_do_not_throw()
    {
        var notAFolder = _dir.Combine("obj", "mlguard-file");
        Directory.CreateDirectory(Path.GetDirectoryName(notAFolder)!);
        File.WriteAllText(notAFolder, "a file where the state folder should be");

        Assert.False(OuterBuildClaim.RecordParts(notAFolder, [_dir.Combine("x.lockpart")]));
    }
}
