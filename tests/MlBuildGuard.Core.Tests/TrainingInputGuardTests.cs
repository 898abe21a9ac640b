using MlBuildGuard.Core.Configuration;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Hashing;
using MlBuildGuard.Core.Locking;
using MlBuildGuard.Core.TrainingInputs;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests;

public sealed class TrainingInputGuardTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly string _project;

    public TrainingInputGuardTests()
    {
        _project = _dir.Combine("proj");
        Directory.CreateDirectory(_project);
        File.WriteAllText(ProjectFile, "<Project />");
    }

    private string ProjectFile => Path.Combine(_project, "p.csproj");

    private string LockPath => Path.Combine(_project, "mlguard.lock.json");

    public void Dispose() => _dir.Dispose();

    private string Data(string relative, string content) => _dir.Write(Path.Combine("proj", relative), content);

    private TrainingInputResult Run(LockMode mode, params TrainingInputItem[] items) => Run(mode, SuppressionSet.Empty, items);

    private TrainingInputResult Run(LockMode mode, SuppressionSet suppressions, params TrainingInputItem[] items) => TrainingInputGuard.Run(new TrainingInputRequest
    {
        Suppressions = suppressions,
        ProjectDirectory = _project,
        ProjectFile = ProjectFile,
        LockFilePath = LockPath,
        Mode = mode,
        Items = items,
        CacheFilePath = Path.Combine(_project, "obj", "cache.bin"),
    });

    private static TrainingInputItem Item(string path, string? source = null) => new(path, source);

    [Fact]
    public void Auto_creates_the_lock_then_accepts_the_same_inputs_without_rewriting()
    {
        Data("data/a.tsv", "a\t1\n");
        Data("data/b.tsv", "b\t0\n");

        var first = Run(LockMode.Auto, Item("data/b.tsv"), Item("data/a.tsv", " https://example.org/a "));

        Assert.Empty(first.Findings);
        Assert.True(first.LockWritten);
        var lockFile = LockFileReader.Read(LockPath);
        Assert.Equal(["data/a.tsv", "data/b.tsv"], lockFile.TrainingInputs.Keys);
        Assert.Equal("https://example.org/a", lockFile.TrainingInputs["data/a.tsv"].Source);
        Assert.Equal(4, lockFile.TrainingInputs["data/a.tsv"].Size);
        var bytes = File.ReadAllBytes(LockPath);
        var written = File.GetLastWriteTimeUtc(LockPath);

        var second = Run(LockMode.Auto, Item("data/b.tsv"), Item("data/a.tsv", "https://example.org/a"));

        Assert.Empty(second.Findings);
        Assert.False(second.LockWritten);
        Assert.Equal(bytes, File.ReadAllBytes(LockPath));
        Assert.Equal(written, File.GetLastWriteTimeUtc(LockPath));
    }

    [Fact]
    public void A_project_without_inputs_gets_no_lock()
    {
        var result = Run(LockMode.Auto);

        Assert.Empty(result.Findings);
        Assert.False(File.Exists(LockPath));
    }

    [Theory]
    [InlineData(LockMode.Auto)]
    [InlineData(LockMode.Locked)]
    public void A_changed_input_is_MLG402_with_both_digests_at_the_lock_line_and_the_lock_stays(LockMode mode)
    {
        Data("data/a.tsv", "original\n");
        Run(LockMode.Auto, Item("data/a.tsv"));
        var before = File.ReadAllBytes(LockPath);
        var oldHex = LockFileReader.Read(LockPath).TrainingInputs["data/a.tsv"].Sha256;
        Data("data/a.tsv", "poisoned\n");

        var result = Run(mode, Item("data/a.tsv"));

        var finding = Assert.Single(result.Findings);
        Assert.Equal("MLG402", finding.Code);
        Assert.Equal(Severity.Error, finding.Severity);
        Assert.Contains(oldHex, finding.Message, StringComparison.Ordinal);
        Assert.Contains(Sha256File.Compute(Path.Combine(_project, "data/a.tsv")).Hex, finding.Message, StringComparison.Ordinal);
        Assert.Equal(new SourceLocation(LockPath, 4, 5), finding.Location);
        Assert.Equal("data/a.tsv", finding.Subject);
        Assert.Equal(before, File.ReadAllBytes(LockPath));
    }

    [Fact]
    public void A_new_input_is_MLG403_and_a_deleted_one_MLG404()
    {
        Data("data/a.tsv", "a");
        Data("data/b.tsv", "b");
        Run(LockMode.Auto, Item("data/a.tsv"), Item("data/b.tsv"));
        File.Delete(Path.Combine(_project, "data/b.tsv"));
        Data("data/c.tsv", "c");

        var result = Run(LockMode.Auto, Item("data/a.tsv"), Item("data/b.tsv"), Item("data/c.tsv"));

        Assert.Equal(["MLG403", "MLG404"], result.Findings.Select(f => f.Code).Order());
        Assert.Contains(result.Findings, f => f.Code == "MLG404" && f.Message.Contains("does not exist", StringComparison.Ordinal));
        Assert.Contains(result.Findings, f => f.Code == "MLG403" && f.Subject == "data/c.tsv");
    }

    [Fact]
    public void A_locked_input_that_is_no_longer_declared_is_MLG404()
    {
        Data("data/a.tsv", "a");
        Data("data/b.tsv", "b");
        Run(LockMode.Auto, Item("data/a.tsv"), Item("data/b.tsv"));

        var result = Run(LockMode.Auto, Item("data/a.tsv"));

        var finding = Assert.Single(result.Findings);
        Assert.Equal("MLG404", finding.Code);
        Assert.Contains("no longer declared", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_changed_source_is_MLG402()
    {
        Data("data/a.tsv", "a");
        Run(LockMode.Auto, Item("data/a.tsv", "https://old"));

        var result = Run(LockMode.Auto, Item("data/a.tsv", "https://new"));

        var finding = Assert.Single(result.Findings);
        Assert.Equal("MLG402", finding.Code);
        Assert.Contains("'https://old'", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Inputs_outside_the_project_or_through_a_leaving_link_are_MLG405_and_nothing_is_written()
    {
        var outside = _dir.Write("outside.tsv", "o");
        Data("data/ok.tsv", "ok");
        File.CreateSymbolicLink(Path.Combine(_project, "data/link.tsv"), outside);

        var result = Run(LockMode.Auto, Item("../outside.tsv"), Item("data/link.tsv"), Item("data/ok.tsv"));

        Assert.Equal(["MLG405", "MLG405"], result.Findings.Select(f => f.Code));
        Assert.Contains("is reached through a link", result.Findings[1].Message, StringComparison.Ordinal);
        Assert.False(File.Exists(LockPath));
    }

    [Fact]
    public void A_missing_literal_input_that_was_never_locked_is_MLG406()
    {
        var result = Run(LockMode.Auto, Item("data/typo.tsv"));

        var finding = Assert.Single(result.Findings);
        Assert.Equal("MLG406", finding.Code);
        Assert.Equal(Severity.Warning, finding.Severity);
    }

    [Fact]
    public void A_wildcard_pattern_that_matched_nothing_is_MLG406_at_its_declaration()
    {
        File.WriteAllText(ProjectFile, "<Project>\n  <ItemGroup>\n    <MlTrainingInput Include=\"data/*.tsv;extra/**/*.csv\" />\n  </ItemGroup>\n</Project>\n");
        Data("data/a.tsv", "a");

        var result = TrainingInputGuard.Run(new TrainingInputRequest
        {
            ProjectDirectory = _project,
            ProjectFile = ProjectFile,
            LockFilePath = LockPath,
            Mode = LockMode.Auto,
            Items = [Item("data/a.tsv")],
            Declarations = ItemDeclarations.Find([ProjectFile], "MlTrainingInput"),
        });

        var finding = Assert.Single(result.Findings);
        Assert.Equal("MLG406", finding.Code);
        Assert.Equal("extra/**/*.csv", finding.Subject);
        Assert.Equal(new SourceLocation(ProjectFile, 3, 6), finding.Location);
        Assert.True(File.Exists(LockPath), "a warning does not hold the lock back");
    }

    [Fact]
    public void A_malformed_lock_is_MLG407_with_position_and_is_never_replaced()
    {
        Data("data/a.tsv", "a");
        File.WriteAllText(LockPath, "{\n  \"version\": 1,\n  \"trainingInputs\": {\n    \"a\": oops\n");

        foreach (var mode in new[] { LockMode.Auto, LockMode.Locked, LockMode.Update })
        {
            var result = Run(mode, Item("data/a.tsv"));

            var finding = Assert.Single(result.Findings);
            Assert.Equal("MLG407", finding.Code);
            Assert.Equal(4, finding.Location!.Line);
            Assert.Equal(10, finding.Location.Column);
        }

        Assert.StartsWith("{\n  \"version\": 1,\n  \"trainingInputs\": {\n    \"a\": oops", File.ReadAllText(LockPath), StringComparison.Ordinal);
    }

    [Fact]
    public void Locked_without_a_lock_is_MLG401_and_writes_nothing()
    {
        Data("data/a.tsv", "a");

        var result = Run(LockMode.Locked, Item("data/a.tsv"));

        Assert.Equal("MLG401", Assert.Single(result.Findings).Code);
        Assert.False(File.Exists(LockPath));
    }

    [Fact]
    public void Locked_without_a_lock_or_inputs_has_nothing_to_verify()
    {
        Assert.Empty(Run(LockMode.Locked).Findings);
        Assert.False(File.Exists(LockPath));
    }

    [Fact]
    public void A_warning_does_not_hold_the_lock_back_and_an_error_does()
    {
        Data("data/a.tsv", "a");

        var warned = Run(LockMode.Auto, Item("data/a.tsv"), Item("data/typo.tsv"));
        File.Delete(LockPath);
        _dir.Write("outside.tsv", "o");
        var failed = Run(LockMode.Auto, Item("data/a.tsv"), Item("../outside.tsv"));

        Assert.Equal("MLG406", Assert.Single(warned.Findings).Code);
        Assert.True(warned.LockWritten);
        Assert.Equal("MLG405", Assert.Single(failed.Findings).Code);
        Assert.False(failed.LockWritten);
        Assert.False(File.Exists(LockPath));
        Assert.Contains(failed.Notes, n => n.Contains("was not written: fix the errors above first", StringComparison.Ordinal));
    }

    [Fact]
    public void In_a_build_a_change_is_staged_as_a_part_and_a_framework_build_whose_outer_build_records_the_inputs_stages_nothing()
    {
        Data("data/a.tsv", "a");
        var staging = Path.Combine(_project, "obj", "mlguard", "lock-parts");
        TrainingInputResult Staged(bool recordsLock) => TrainingInputGuard.Run(new TrainingInputRequest
        {
            ProjectDirectory = _project,
            ProjectFile = ProjectFile,
            LockFilePath = LockPath,
            Mode = LockMode.Auto,
            Items = [Item("data/a.tsv")],
            StagingDirectory = staging,
            RecordsLock = recordsLock,
        });

        var framework = Staged(recordsLock: false);
        var own = Staged(recordsLock: true);

        Assert.Null(framework.StagedLock);
        Assert.False(File.Exists(LockPath));
        var part = StagedLockPart.Read(own.StagedLock!);
        Assert.Equal(("training inputs", "1 added, 0 changed, 0 removed"), (part.Name, part.Summary));
        Assert.Null(part.Base);
        Assert.Equal(["data/a.tsv"], part.Proposed.TrainingInputs.Keys);
        Assert.Empty(own.Notes); // the build's one message about the lock comes from the commit
    }

    [Fact]
    public void A_suppressed_error_does_not_stop_the_lock_from_being_written()
    {
        Data("data/a.tsv", "a");
        _dir.Write("outside.tsv", "o");
        var suppressions = SuppressionSet.Parse([new SuppressionDeclaration("MLG405", "../outside.tsv", "shared corpus, verified upstream", "2099-01-01")],
            new DateOnly(2026, 11, 26), new List<Finding>());

        var result = Run(LockMode.Auto, suppressions, Item("data/a.tsv"), Item("../outside.tsv"));

        Assert.Equal("MLG405", Assert.Single(result.Findings).Code);
        Assert.True(result.LockWritten);
        Assert.Equal(["data/a.tsv"], LockFileReader.Read(LockPath).TrainingInputs.Keys);
    }

    [Fact]
    public void A_locked_input_now_behind_an_escaping_link_is_MLG405_only()
    {
        Data("data/a.tsv", "a");
        Run(LockMode.Auto, Item("data/a.tsv"));
        var outside = _dir.Write("elsewhere/a.tsv", "a");
        File.Delete(Path.Combine(_project, "data/a.tsv"));
        File.CreateSymbolicLink(Path.Combine(_project, "data/a.tsv"), outside);

        var result = Run(LockMode.Auto, Item("data/a.tsv"));

        Assert.Equal("MLG405", Assert.Single(result.Findings).Code);
        Assert.Contains("is reached through a link that leads outside the project folder", result.Findings[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_private_key_among_training_inputs_is_MLG606_on_every_build_and_blocks_the_lock()
    {
        var clean = Data("data/clean.tsv", "label\ttext\n1\tgood\n");
        var secret = Data("data/secret.tsv", "label\ttext\n1\t" + MlBuildGuard.Core.Signing.OmsPrivateKey.Generate().ToPkcs8Pem().Replace("\n", " \n"));

        var first = Run(LockMode.Auto, Item("data/clean.tsv"), Item("data/secret.tsv"));
        // What the stamp cache remembers after a build long after the files were written: the next build reads neither.
        var cache = HashCache.Empty();
        foreach (var path in new[] { clean, secret })
        {
            Assert.True(IO.FileStamp.TryGet(path, out var stamp));
            cache.Set(path, stamp, Sha256File.Compute(path), DateTime.UtcNow.AddHours(1));
        }

        cache.Save(Path.Combine(_project, "obj", "cache.bin"));
        var second = Run(LockMode.Auto, Item("data/clean.tsv"), Item("data/secret.tsv"));

        foreach (var result in new[] { first, second })
        {
            var finding = Assert.Single(result.Findings);
            Assert.Equal("MLG606", finding.Code);
            Assert.Contains("'data/secret.tsv' holds private key material", finding.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("BEGIN", finding.Message, StringComparison.Ordinal);
        }

        Assert.Equal(2, first.FilesRead);
        Assert.Equal(2, second.FilesFromCache); // the finding comes back from the cache without reading the file again
        Assert.False(File.Exists(LockPath)); // nothing is locked while a secret is among the inputs
    }

    [Fact]
    public void Locked_rehashes_instead_of_trusting_the_cache()
    {
        var path = Data("data/a.tsv", "good");
        Run(LockMode.Auto, Item("data/a.tsv"));
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(-5));
        // A cache that vouches for the current stamp with the locked digest, while the bytes are different.
        File.WriteAllText(path, "evil");
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(-5));
        Assert.True(IO.FileStamp.TryGet(path, out var stamp));
        var cache = HashCache.Empty();
        var lockedHex = LockFileReader.Read(LockPath).TrainingInputs["data/a.tsv"].Sha256;
        cache.Set(path, stamp, new FileDigest(Convert.FromHexString(lockedHex), stamp.Size), DateTime.UtcNow.AddHours(1));
        cache.Save(Path.Combine(_project, "obj", "cache.bin"));

        var auto = Run(LockMode.Auto, Item("data/a.tsv"));
        var locked = Run(LockMode.Locked, Item("data/a.tsv"));

        Assert.Empty(auto.Findings); // proves the planted cache entry is what a normal build would use
        Assert.Equal("MLG402", Assert.Single(locked.Findings).Code);
    }

    [Fact]
    public void Update_rewrites_the_lock_reports_the_changes_and_keeps_model_outputs()
    {
        Data("data/a.tsv", "a");
        Data("data/b.tsv", "b");
        Run(LockMode.Auto, Item("data/a.tsv"), Item("data/b.tsv"));
        var withOutputs = LockFileReader.Read(LockPath);
        withOutputs.ModelOutputs["bin/model.zip"] = new LockedFile(new string('c', 64), 9);
        File.WriteAllBytes(LockPath, LockFileWriter.ToBytes(withOutputs));
        Data("data/a.tsv", "a2");
        File.Delete(Path.Combine(_project, "data/b.tsv"));
        Data("data/c.tsv", "c");

        var result = Run(LockMode.Update, Item("data/a.tsv"), Item("data/c.tsv"));

        Assert.Empty(result.Findings);
        Assert.True(result.LockWritten);
        Assert.Contains(result.Notes, n => n.Contains("1 added, 1 changed, 1 removed", StringComparison.Ordinal));
        Assert.Contains(result.Notes, n => n.StartsWith("  + data/c.tsv", StringComparison.Ordinal));
        Assert.Contains(result.Notes, n => n.StartsWith("  ~ data/a.tsv", StringComparison.Ordinal));
        Assert.Contains(result.Notes, n => n.StartsWith("  - data/b.tsv", StringComparison.Ordinal));
        var updated = LockFileReader.Read(LockPath);
        Assert.Equal(["data/a.tsv", "data/c.tsv"], updated.TrainingInputs.Keys);
        Assert.Equal(9, updated.ModelOutputs["bin/model.zip"].Size);
        Assert.Empty(Run(LockMode.Locked, Item("data/a.tsv"), Item("data/c.tsv")).Findings);
    }

    [Fact]
    public void Update_with_an_input_error_leaves_the_lock_alone()
    {
        Data("data/a.tsv", "a");
        Run(LockMode.Auto, Item("data/a.tsv"));
        var before = File.ReadAllBytes(LockPath);
        _dir.Write("outside.tsv", "o");
        Data("data/a.tsv", "changed");

        var result = Run(LockMode.Update, Item("data/a.tsv"), Item("../outside.tsv"));

        Assert.Equal("MLG405", Assert.Single(result.Findings).Code);
        Assert.Equal(before, File.ReadAllBytes(LockPath));
    }

    [Fact]
    public void The_same_file_named_twice_is_one_input()
    {
        Data("data/a.tsv", "a");

        Run(LockMode.Auto, Item("data/a.tsv"), Item(Path.Combine(_project, "data", "a.tsv"), "src"), Item("./data/../data/a.tsv"));

        var entry = Assert.Single(LockFileReader.Read(LockPath).TrainingInputs);
        Assert.Equal("src", entry.Value.Source);
    }

    [Fact]
    public async Task Parallel_builds_of_one_project_create_one_consistent_lock()
    {
        for (var i = 0; i < 20; i++)
        {
            Data($"data/{i}.tsv", new string('x', i));
        }

        var items = Enumerable.Range(0, 20).Select(i => Item($"data/{i}.tsv")).ToArray();
        var runs = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => Run(LockMode.Auto, items))));

        Assert.All(runs, r => Assert.Empty(r.Findings));
        Assert.Equal(1, runs.Count(r => r.LockWritten));
        Assert.Equal(20, LockFileReader.Read(LockPath).TrainingInputs.Count);
        Assert.Empty(Directory.GetFiles(_project, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void An_unchanged_rebuild_reads_no_file()
    {
        for (var i = 0; i < 5; i++)
        {
            File.SetLastWriteTimeUtc(Data($"data/{i}.tsv", $"row {i}"), DateTime.UtcNow.AddMinutes(-5));
        }

        var items = Enumerable.Range(0, 5).Select(i => Item($"data/{i}.tsv")).ToArray();
        var first = Run(LockMode.Auto, items);
        Assert.Equal(5, first.FilesRead);

        // Files written by this test have a fresh change time; wait out the window in which a stamp cannot be trusted.
        Thread.Sleep(TimeSpan.FromSeconds(2.2));
        Run(LockMode.Auto, items);
        var third = Run(LockMode.Auto, items);

        Assert.Equal(0, third.FilesRead);
        Assert.Equal(5, third.FilesFromCache);
        Assert.True(third.LockUnchanged, "an unchanged lock that matched these inputs is not read again");

        // Editing the lock moves its stamp: the next run reads and compares it again.
        var text = File.ReadAllText(LockPath);
        var digest = LockFileReader.Read(LockPath).TrainingInputs["data/0.tsv"].Sha256;
        File.WriteAllText(LockPath, text.Replace(digest, new string('0', 64), StringComparison.Ordinal));
        var afterEdit = Run(LockMode.Auto, items);

        Assert.False(afterEdit.LockUnchanged);
        Assert.Equal("MLG402", Assert.Single(afterEdit.Findings).Code);
    }
}
