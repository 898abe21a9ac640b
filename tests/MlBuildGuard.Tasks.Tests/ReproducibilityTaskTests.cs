using System.IO.Compression;
using System.Text.Json;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Tasks.Tests;

/// <summary>MlGuardCheckBuildSettings, MlGuardNormalizeModelOutputs, MlGuardCheckModelOutputs and MlGuardWriteProvenance.</summary>
public sealed class ReproducibilityTaskTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly FakeBuildEngine _engine = new();

    public ReproducibilityTaskTests()
    {
        File.WriteAllText(ProjectFile, "<Project>\n  <PropertyGroup>\n    <Deterministic>false</Deterministic>\n  </PropertyGroup>\n</Project>\n");
        _dir.Write("global.json", "{ \"sdk\": { \"version\": \"10.0.401\" } }\n");
    }

    private string ProjectFile => _dir.Combine("app.csproj");

    public void Dispose() => _dir.Dispose();

    private string Zip(string relative, string keyText)
    {
        var path = _dir.Combine(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.Delete(path);
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            using var s = zip.CreateEntry("TransformerChain\\Model.key").Open(); // a Windows-written ML.NET entry name
            s.Write(System.Text.Encoding.UTF8.GetBytes(keyText));
        }

        return path;
    }

    [Fact]
    public void Build_settings_log_MLG501_as_an_error_at_the_setting_and_MLG502_as_a_warning()
    {
        var task = new MlGuardCheckBuildSettings
        {
            BuildEngine = _engine,
            ProjectDirectory = _dir.Path,
            ProjectFile = ProjectFile,
            Deterministic = "false",
            CiIndicator = "CI",
            ContinuousIntegrationBuild = "",
            SdkVersion = "10.0.401",
            DeclaringFiles = [ProjectFile, ""],
        };

        Assert.False(task.Execute());
        var error = Assert.Single(_engine.Errors);
        Assert.Equal(("MLG501", ProjectFile, 3), (error.Code, error.File, error.LineNumber));
        Assert.Equal("MLG502", Assert.Single(_engine.Warnings).Code);
    }

    [Fact]
    public void Outputs_are_normalized_then_locked_then_described_and_a_changed_one_is_MLG503()
    {
        var model = Zip("bin/model.zip", "weights-1");
        var before = File.ReadAllBytes(model);
        var outputs = new ITaskItem[] { new TaskItem("bin/model.zip") };
        var normalize = new MlGuardNormalizeModelOutputs { BuildEngine = _engine, ProjectDirectory = _dir.Path, ProjectFile = ProjectFile, Outputs = outputs, SourceDateEpoch = "1700000000" };
        MlGuardCheckModelOutputs Check(string mode) => new()
        {
            BuildEngine = _engine,
            ProjectDirectory = _dir.Path,
            ProjectFile = ProjectFile,
            Outputs = outputs,
            LockFile = "mlguard.lock.json",
            LockMode = mode,
            StagingDirectory = "obj/mlguard/lock-parts",
        };

        Assert.True(normalize.Execute());
        var check = Check("Auto");
        Assert.True(check.Execute());
        var produced = Assert.Single(check.ProducedFiles);
        var provenance = new MlGuardWriteProvenance
        {
            BuildEngine = _engine,
            ProjectDirectory = _dir.Path,
            ProjectFile = ProjectFile,
            ProducedFiles = check.ProducedFiles,
            LockParts = [new TaskItem(check.StagedLockFile)],
            LockFile = "mlguard.lock.json",
            ProvenanceFile = "bin/mlguard.provenance.json",
            SbomFile = "bin/mlguard.cdx.json",
            ProjectName = "app",
        };
        Assert.True(provenance.Execute());

        Assert.NotEqual(before, File.ReadAllBytes(model));
        using (var zip = ZipFile.OpenRead(model))
        {
            Assert.Equal("TransformerChain/Model.key", Assert.Single(zip.Entries).FullName);
        }

        Assert.Equal("bin/model.zip", produced.ItemSpec);
        Assert.NotNull(check.StagedLockFile); // staged: the build writes the lock only when it succeeds
        Assert.False(File.Exists(_dir.Combine("mlguard.lock.json")));
        using (var statement = JsonDocument.Parse(File.ReadAllBytes(_dir.Combine("bin", "mlguard.provenance.json"))))
        {
            Assert.Equal(produced.GetMetadata("Sha256"), statement.RootElement.GetProperty("subject")[0].GetProperty("digest").GetProperty("sha256").GetString());
        }

        Assert.True(File.Exists(_dir.Combine("bin", "mlguard.cdx.json")));
        Assert.Empty(_engine.Errors);

        var commit = new MlGuardCommitLock
        {
            BuildEngine = _engine,
            ProjectDirectory = _dir.Path,
            ProjectFile = ProjectFile,
            LockParts = [new TaskItem(check.StagedLockFile)],
            LockFile = "mlguard.lock.json",
        };
        Assert.True(commit.Execute());
        var story = Assert.Single(_engine.Messages, m => m.Importance == MessageImportance.High && m.Message!.Contains("mlguard.lock.json", StringComparison.Ordinal));
        Assert.Equal("MlBuildGuard: wrote mlguard.lock.json (created): model outputs: 1 added, 0 changed. Commit it.", story.Message);
        Assert.False(File.Exists(check.StagedLockFile)); // committed parts are removed
        Zip("bin/model.zip", "weights-2");
        Assert.True(normalize.Execute());
        var locked = Check("Locked");
        Assert.False(locked.Execute());
        var error = Assert.Single(_engine.Errors);
        Assert.Equal("MLG503", error.Code);
        Assert.Contains("TransformerChain/Model.key (changed)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_whose_name_MSBuild_would_unescape_keeps_its_name_through_to_the_provenance()
    {
        Zip("bin/model%41;v1.zip", "w");
        var check = new MlGuardCheckModelOutputs
        {
            BuildEngine = _engine,
            ProjectDirectory = _dir.Path,
            ProjectFile = ProjectFile,
            Outputs = [new TaskItem("bin/model%2541%3bv1.zip")], // as MSBuild passes an item whose file name has % and ;
            LockFile = "mlguard.lock.json",
            ReproducibleOutputs = "false",
        };
        Assert.True(check.Execute());
        var provenance = new MlGuardWriteProvenance
        {
            BuildEngine = _engine,
            ProjectDirectory = _dir.Path,
            ProjectFile = ProjectFile,
            ProducedFiles = check.ProducedFiles,
            LockFile = "mlguard.lock.json",
            ProvenanceFile = "bin/mlguard.provenance.json",
        };
        Assert.True(provenance.Execute());

        Assert.Equal("bin/model%41;v1.zip", Assert.Single(check.ProducedFiles).ItemSpec);
        using var statement = JsonDocument.Parse(File.ReadAllBytes(_dir.Combine("bin", "mlguard.provenance.json")));
        Assert.Equal("bin/model%41;v1.zip", statement.RootElement.GetProperty("subject")[0].GetProperty("name").GetString());
    }

    [Fact]
    public void A_malformed_SOURCE_DATE_EPOCH_is_MLG002_and_leaves_the_model_untouched()
    {
        var model = Zip("bin/model.zip", "w");
        var before = File.ReadAllBytes(model);
        var task = new MlGuardNormalizeModelOutputs
        {
            BuildEngine = _engine,
            ProjectDirectory = _dir.Path,
            ProjectFile = ProjectFile,
            Outputs = [new TaskItem("bin/model.zip")],
            SourceDateEpoch = "yesterday",
        };

        Assert.False(task.Execute());
        Assert.Equal("MLG002", Assert.Single(_engine.Errors).Code);
        Assert.Equal(before, File.ReadAllBytes(model));
    }
}
