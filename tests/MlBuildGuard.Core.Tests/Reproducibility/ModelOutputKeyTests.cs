using System.IO.Compression;
using MlBuildGuard.Core.Configuration;
using MlBuildGuard.Core.Locking;
using MlBuildGuard.Core.Reproducibility;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests.Reproducibility;

/// <summary>SPEC §4: produced models are keyed relative to $(OutDir); older project-relative keys are read and rewritten.</summary>
public sealed class ModelOutputKeyTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Project => _dir.Combine("proj");

    private string LockPath => _dir.Combine("proj", "mlguard.lock.json");

    private void Zip(string relative, string text)
    {
        var path = _dir.Combine("proj", relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.Delete(path);
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        using var s = zip.CreateEntry("Model.key").Open();
        s.Write(System.Text.Encoding.UTF8.GetBytes(text));
    }

    /// <summary>One build of one configuration: $(OutDir) is bin/CONFIG/net10.0/ (bin/CONFIG/FRAMEWORK/ when multi-targeted).</summary>
    private ModelOutputResult Build(string configuration, LockMode mode, string framework = "net10.0", bool multiTargeted = false, string? staging = null)
    {
        var outDir = $"bin/{configuration}/{framework}/";
        return ModelOutputGuard.Run(new ModelOutputRequest
        {
            ProjectDirectory = Project,
            ProjectFile = _dir.Combine("proj", "p.csproj"),
            LockFilePath = LockPath,
            Mode = mode,
            Outputs = [outDir + "model.zip"],
            OutputDirectory = _dir.Combine("proj", outDir),
            KeyPrefix = multiTargeted ? framework : null,
            LegacyOutputRoot = _dir.Combine("proj", "bin") + "/",
            StagingDirectory = staging,
            TargetFramework = multiTargeted ? framework : null,
        });
    }

    [Fact]
    public void Debug_then_Release_then_Locked_share_one_entry_keyed_relative_to_OutDir()
    {
        Zip("bin/Debug/net10.0/model.zip", "w");
        Zip("bin/Release/net10.0/model.zip", "w");

        var debug = Build("Debug", LockMode.Auto);
        var afterDebug = File.ReadAllBytes(LockPath);
        var release = Build("Release", LockMode.Auto);
        var locked = Build("Release", LockMode.Locked);

        Assert.Empty(debug.Findings);
        Assert.Equal("model.zip", Assert.Single(debug.Files).Key);
        Assert.Equal(["model.zip"], LockFileReader.Read(LockPath).ModelOutputs.Keys);
        Assert.Empty(release.Findings);
        Assert.Empty(release.Notes);
        Assert.Equal(afterDebug, File.ReadAllBytes(LockPath)); // the Release build found its model in the lock
        Assert.Empty(locked.Findings);
    }

    [Fact]
    public void A_multi_targeted_project_keys_each_framework_under_its_name()
    {
        Zip("bin/Debug/net9.0/model.zip", "9");
        Zip("bin/Debug/net10.0/model.zip", "10");

        Build("Debug", LockMode.Auto, "net9.0", multiTargeted: true);
        Build("Debug", LockMode.Auto, "net10.0", multiTargeted: true);

        Zip("bin/Release/net9.0/model.zip", "9");
        var release = Build("Release", LockMode.Locked, "net9.0", multiTargeted: true);

        Assert.Equal(["net10.0/model.zip", "net9.0/model.zip"], LockFileReader.Read(LockPath).ModelOutputs.Keys);
        Assert.Empty(release.Findings);
    }

    [Fact]
    public void A_lock_with_older_keys_passes_Locked_as_it_is_and_is_rewritten_to_the_new_key_with_every_configuration_entry_gone()
    {
        Zip("bin/Debug/net10.0/model.zip", "w");
        Zip("bin/Release/net10.0/model.zip", "w");
        ModelOutputGuard.Run(new ModelOutputRequest // what an earlier version wrote: project-relative keys, one per configuration
        {
            ProjectDirectory = Project, ProjectFile = _dir.Combine("proj", "p.csproj"), LockFilePath = LockPath, Mode = LockMode.Auto,
            Outputs = ["bin/Debug/net10.0/model.zip", "bin/Release/net10.0/model.zip"],
        });
        var older = File.ReadAllBytes(LockPath);

        var ci = Build("Debug", LockMode.Locked);
        Assert.Empty(ci.Findings);
        Assert.Equal(older, File.ReadAllBytes(LockPath));

        var staging = _dir.Combine("proj", "obj", "lock-parts");
        var release = Build("Release", LockMode.Auto, staging: staging);
        Assert.Empty(release.Findings);
        var part = StagedLockPart.Read(release.StagedLock!);
        Assert.Equal("0 added, 0 changed, 1 re-keyed", part.Summary);
        Assert.Equal("  > bin/Release/net10.0/model.zip, bin/Debug/net10.0/model.zip -> model.zip", Assert.Single(part.Changes));
        LockCommit.Commit([release.StagedLock!], LockPath);

        var rewritten = LockFileReader.Read(LockPath);
        Assert.Equal(["model.zip"], rewritten.ModelOutputs.Keys);
        Assert.Null(Build("Debug", LockMode.Auto).StagedLock);
        Assert.Empty(Build("Debug", LockMode.Locked).Findings);
    }

    [Fact]
    public void A_model_that_differs_from_its_entry_under_an_older_key_is_MLG503_at_that_entry_and_Update_rewrites_it()
    {
        Zip("bin/Debug/net10.0/model.zip", "old");
        ModelOutputGuard.Run(new ModelOutputRequest
        {
            ProjectDirectory = Project, ProjectFile = _dir.Combine("proj", "p.csproj"), LockFilePath = LockPath, Mode = LockMode.Auto,
            Outputs = ["bin/Debug/net10.0/model.zip"],
        });
        Zip("bin/Debug/net10.0/model.zip", "new");

        var locked = Build("Debug", LockMode.Locked);
        var update = Build("Debug", LockMode.Update);

        var finding = Assert.Single(locked.Findings);
        Assert.Equal("MLG503", finding.Code);
        Assert.Equal((LockPath, 5), (finding.Location!.FilePath, finding.Location.Line)); // the older entry's line
        Assert.Empty(update.Findings);
        Assert.Equal(["model.zip"], LockFileReader.Read(LockPath).ModelOutputs.Keys);
        Assert.Empty(Build("Debug", LockMode.Locked).Findings);
    }

    [Fact]
    public void An_output_outside_OutDir_is_keyed_relative_to_the_project()
    {
        Zip("models/out.zip", "w");

        var result = ModelOutputGuard.Run(new ModelOutputRequest
        {
            ProjectDirectory = Project, ProjectFile = _dir.Combine("proj", "p.csproj"), LockFilePath = LockPath, Mode = LockMode.Auto,
            Outputs = ["models/out.zip"], OutputDirectory = _dir.Combine("proj", "bin/Debug/net10.0/"), LegacyOutputRoot = _dir.Combine("proj", "bin/"),
        });

        Assert.Equal("models/out.zip", Assert.Single(result.Files).Key);
        Assert.Equal(["models/out.zip"], LockFileReader.Read(LockPath).ModelOutputs.Keys);
    }
}
