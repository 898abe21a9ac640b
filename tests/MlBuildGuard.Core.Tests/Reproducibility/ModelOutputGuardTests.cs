using System.IO.Compression;
using MlBuildGuard.Core.Configuration;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Locking;
using MlBuildGuard.Core.Reproducibility;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests.Reproducibility;

public sealed class ModelOutputGuardTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Project => _dir.Combine("proj");

    private string LockPath => _dir.Combine("proj", "mlguard.lock.json");

    /// <summary>A zip model with the given entries (name → text), written the way System.IO.Compression writes it.</summary>
    private string Model(string relative, params (string Name, string Text)[] entries)
    {
        var path = _dir.Combine("proj", relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.Delete(path);
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (name, text) in entries)
        {
            using var s = zip.CreateEntry(name).Open();
            s.Write(System.Text.Encoding.UTF8.GetBytes(text));
        }

        return path;
    }

    private ModelOutputResult Run(LockMode mode, bool record = true, string? staging = null, params string[] outputs) =>
        ModelOutputGuard.Run(new ModelOutputRequest
        {
            ProjectDirectory = Project,
            ProjectFile = _dir.Combine("proj", "p.csproj"),
            LockFilePath = LockPath,
            Mode = mode,
            Outputs = outputs,
            Record = record,
            StagingDirectory = staging,
            TargetFramework = "net10.0",
        });

    [Fact]
    public void Auto_records_a_new_output_with_its_entries_and_a_rebuild_with_the_same_bytes_is_quiet()
    {
        var model = Model("bin/model.zip", ("Schema", "s"), ("TransformerChain/Model.key", "k1"));

        var first = Run(LockMode.Auto, outputs: "bin/model.zip");
        var locked = LockFileReader.Read(LockPath);
        var again = Run(LockMode.Locked, outputs: "bin/model.zip");

        Assert.Empty(first.Findings);
        var entry = locked.ModelOutputs["bin/model.zip"];
        Assert.Equal((new FileInfo(model).Length, 2), (entry.Size, entry.Entries!.Count));
        Assert.Equal(["Schema", "TransformerChain/Model.key"], entry.Entries.Keys);
        Assert.Empty(again.Findings);
        Assert.Equal("bin/model.zip", Assert.Single(again.Files).Key);
    }

    [Fact]
    public void A_different_model_is_MLG503_naming_the_changed_entry_error_in_Locked_warning_in_Auto_and_the_lock_stays()
    {
        Model("bin/model.zip", ("Schema", "s"), ("TransformerChain/Model.key", "k1"));
        Run(LockMode.Auto, outputs: "bin/model.zip");
        var lockBytes = File.ReadAllBytes(LockPath);
        Model("bin/model.zip", ("Schema", "s"), ("TransformerChain/Model.key", "k2"), ("Extra.txt", "x"));

        var locked = Run(LockMode.Locked, outputs: "bin/model.zip");
        var auto = Run(LockMode.Auto, outputs: "bin/model.zip");

        var error = Assert.Single(locked.Findings);
        Assert.Equal(("MLG503", Severity.Error), (error.Code, error.Severity));
        Assert.Equal(LockPath, error.Location!.FilePath);
        Assert.True(error.Location.Line > 1);
        Assert.Contains("2 entries differ: Extra.txt (added), TransformerChain/Model.key (changed)", error.Message, StringComparison.Ordinal);
        Assert.Equal(Severity.Warning, Assert.Single(auto.Findings).Severity);
        Assert.Equal(lockBytes, File.ReadAllBytes(LockPath));
    }

    [Fact]
    public void Update_records_the_new_model_and_a_model_missing_from_the_lock_is_MLG503_in_Locked_mode()
    {
        Model("bin/model.zip", ("a", "1"));
        Run(LockMode.Auto, outputs: "bin/model.zip");
        Model("bin/model.zip", ("a", "2"));
        Model("bin/second.zip", ("b", "1"));

        var locked = Run(LockMode.Locked, outputs: ["bin/model.zip", "bin/second.zip"]);
        var update = Run(LockMode.Update, outputs: ["bin/model.zip", "bin/second.zip"]);
        var after = Run(LockMode.Locked, outputs: ["bin/model.zip", "bin/second.zip"]);

        Assert.Equal(["MLG503", "MLG503"], locked.Findings.Select(f => f.Code));
        Assert.Contains(locked.Findings, f => f.Message.Contains("'bin/second.zip'", StringComparison.Ordinal) && f.Message.Contains("is not in the lock", StringComparison.Ordinal));
        Assert.Empty(update.Findings);
        Assert.Empty(after.Findings);
    }

    [Fact]
    public void Locked_mode_without_a_lock_is_MLG401_and_writes_nothing()
    {
        Model("bin/model.zip", ("a", "1"));

        var result = Run(LockMode.Locked, outputs: "bin/model.zip");

        Assert.Equal("MLG401", Assert.Single(result.Findings).Code);
        Assert.False(File.Exists(LockPath));
    }

    [Fact]
    public void A_folder_output_is_locked_file_by_file_and_a_non_zip_file_has_no_entries()
    {
        _dir.Write("proj/out/model/weights.bin", "w");
        _dir.Write("proj/out/model/config/config.json", "{}");

        var result = Run(LockMode.Auto, outputs: "out/model/");
        var locked = LockFileReader.Read(LockPath);

        Assert.Empty(result.Findings);
        Assert.Equal(["out/model/config/config.json", "out/model/weights.bin"], locked.ModelOutputs.Keys);
        Assert.All(locked.ModelOutputs.Values, e => Assert.Null(e.Entries));
    }

    [Fact]
    public void In_a_build_the_outputs_are_staged_as_a_part_and_only_the_commit_writes_the_lock()
    {
        _dir.Write("proj/mlguard.lock.json", "{\n  \"version\": 1,\n  \"trainingInputs\": {},\n  \"modelOutputs\": {}\n}\n");
        Model("bin/model.zip", ("a", "1"));
        var committed = File.ReadAllBytes(LockPath);

        var result = Run(LockMode.Auto, staging: _dir.Combine("proj", "obj", "mlguard", "lock-parts"), outputs: "bin/model.zip");

        Assert.NotNull(result.StagedLock);
        Assert.Empty(result.Notes); // the build's one message about the lock comes from the commit
        var part = StagedLockPart.Read(result.StagedLock!);
        Assert.Equal(("model outputs (net10.0)", "1 added, 0 changed"), (part.Name, part.Summary));
        Assert.Equal(["bin/model.zip"], part.Proposed.ModelOutputs.Keys);
        Assert.Empty(part.Base!.ModelOutputs);
        Assert.Equal(committed, File.ReadAllBytes(LockPath)); // written only when the build commits it
        Assert.StartsWith("  + bin/model.zip  sha256 ", Assert.Single(part.Changes), StringComparison.Ordinal);
    }

    [Fact]
    public void Two_builds_that_staged_from_the_same_lock_both_keep_their_outputs_when_they_commit()
    {
        // The two frameworks of a multi-targeted project built at once, each committing on its own (dotnet build -f in parallel).
        Model("bin/net9.0/model.zip", ("a", "9"));
        Model("bin/net10.0/model.zip", ("a", "10"));
        var staging = _dir.Combine("proj", "obj", "mlguard", "lock-parts");
        var net9 = Run(LockMode.Auto, staging: staging, outputs: "bin/net9.0/model.zip");
        var net10 = Run(LockMode.Auto, staging: staging, outputs: "bin/net10.0/model.zip");

        LockCommit.Commit([net10.StagedLock!], LockPath);
        LockCommit.Commit([net9.StagedLock!], LockPath);

        Assert.Equal(["bin/net10.0/model.zip", "bin/net9.0/model.zip"], LockFileReader.Read(LockPath).ModelOutputs.Keys);
    }

    [Fact]
    public void An_output_in_an_artifacts_folder_beside_the_project_is_locked_under_a_parent_relative_key()
    {
        var model = _dir.Combine("artifacts", "bin", "app", "debug", "model.zip");
        Directory.CreateDirectory(Path.GetDirectoryName(model)!);
        File.WriteAllText(model, "not a zip");

        var first = Run(LockMode.Auto, outputs: model);
        var again = Run(LockMode.Locked, outputs: model);

        Assert.Empty(first.Findings);
        Assert.Equal(["../artifacts/bin/app/debug/model.zip"], LockFileReader.Read(LockPath).ModelOutputs.Keys);
        Assert.Empty(again.Findings);
        Assert.Equal("../artifacts/bin/app/debug/model.zip", Assert.Single(again.Files).Key);
    }

    [Fact]
    public void Without_recording_outputs_are_only_hashed()
    {
        var model = Model("bin/model.zip", ("a", "1"));

        var result = Run(LockMode.Auto, record: false, outputs: "bin/model.zip");

        Assert.Empty(result.Findings);
        Assert.False(File.Exists(LockPath));
        var file = Assert.Single(result.Files);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(model))), file.Sha256);
    }

    [Fact]
    public void Lock_entries_round_trip_in_canonical_order_and_bad_entries_are_MLG407_material()
    {
        var lockFile = new LockFile();
        lockFile.ModelOutputs["bin/model.zip"] = new LockedFile(new string('b', 64), 10, null,
            new SortedDictionary<string, string>(Utf8OrdinalComparer.Instance) { ["z"] = new string('1', 64), ["a"] = new string('2', 64) });
        var bytes = LockFileWriter.ToBytes(lockFile);
        var path = _dir.Write("round.json", System.Text.Encoding.UTF8.GetString(bytes));
        var text = File.ReadAllText(path);

        Assert.True(text.IndexOf("\"entries\"", StringComparison.Ordinal) < text.IndexOf("\"sha256\"", StringComparison.Ordinal));
        Assert.True(text.IndexOf("\"a\"", StringComparison.Ordinal) < text.IndexOf("\"z\"", StringComparison.Ordinal));
        Assert.Equal(bytes, LockFileWriter.ToBytes(LockFileReader.Read(path)));

        _dir.Write("bad.json", text.Replace(new string('1', 64), "not-a-digest", StringComparison.Ordinal));
        _dir.Write("input-entries.json", "{\"version\":1,\"trainingInputs\":{\"d.tsv\":{\"entries\":{},\"sha256\":\"" + new string('c', 64) + "\",\"size\":1}},\"modelOutputs\":{}}");
        Assert.Contains("must be 64 lowercase hexadecimal digits", Assert.Throws<LockFileException>(() => LockFileReader.Read(_dir.Combine("bad.json"))).Message, StringComparison.Ordinal);
        Assert.Contains("unknown property 'entries'", Assert.Throws<LockFileException>(() => LockFileReader.Read(_dir.Combine("input-entries.json"))).Message, StringComparison.Ordinal);
    }
}
