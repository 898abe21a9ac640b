using MlBuildGuard.Core.Configuration;
using MlBuildGuard.Core.DataValidation;
using MlBuildGuard.Core.Locking;
using MlBuildGuard.Core.Metrics;
using MlBuildGuard.Core.Reproducibility;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests.DataValidation;

/// <summary>
/// SPEC §4 for <c>modelMetrics</c>: a metrics file the training step writes is keyed like its model, relative to
/// $(OutDir) (framework-prefixed when multi-targeted), so the Debug and Release builds share one baseline; older
/// project-relative keys are read as the baseline and rewritten on the next write.
/// </summary>
public sealed class ModelMetricsKeyTests : IDisposable
{
    private static readonly MetricThresholdItem Gate = new("accuracy", "0.5", null, "0.02", null, "higher");

    private readonly TempDirectory _project = new("mlguard-mkeys");

    public void Dispose() => _project.Dispose();

    private string LockPath => _project.Combine("mlguard.lock.json");

    private string Staging => _project.Combine("obj", "mlguard", "lock-parts");

    private string Metrics(string outDir, double accuracy) => _project.Write(outDir + "metrics.json", $$"""{"accuracy": {{accuracy}}}""");

    /// <summary>One configuration's gate: $(OutDir) is bin/CONFIG/FRAMEWORK/, the metrics file written into it (or <paramref name="file"/>).</summary>
    private ModelMetricsResult Build(string configuration, LockMode mode, string framework = "net10.0", bool multiTargeted = false, string? file = null)
    {
        var outDir = $"bin/{configuration}/{framework}/";
        return ModelMetricsGuard.Run(new ModelMetricsRequest
        {
            ProjectDirectory = _project.Path,
            LockFilePath = LockPath,
            Mode = mode,
            MetricsFiles = [new MetricsItem(file ?? outDir + "metrics.json", [])],
            Thresholds = [Gate],
            StagingDirectory = Staging,
            Keys = new ProducedFileKeys(_project.Path, _project.Combine(outDir), multiTargeted ? framework : null, _project.Combine("bin") + "/"),
        });
    }

    private void CommitTo(ModelMetricsResult result) => LockCommit.Commit([Assert.IsType<string>(result.StagedLock)], LockPath);

    private IEnumerable<string> LockedKeys() => LockFileReader.Read(LockPath).ModelMetrics.Keys;

    [Fact]
    public void A_metrics_file_under_OutDir_is_keyed_relative_to_it_and_Debug_and_Release_share_the_baseline()
    {
        Metrics("bin/Debug/net10.0/", 0.9);
        var debug = Build("Debug", LockMode.Auto);
        CommitTo(debug);

        Metrics("bin/Release/net10.0/", 0.9);
        var release = Build("Release", LockMode.Auto);
        Metrics("bin/Release/net10.0/", 0.85);
        var regressed = Build("Release", LockMode.Auto);

        Assert.Equal("metrics.json", Assert.Single(debug.Gates).MetricsFile);
        Assert.Equal(["metrics.json"], LockedKeys());
        Assert.Empty(release.Findings);
        Assert.Null(release.StagedLock); // the Release build found the Debug build's baseline: nothing new to stage
        Assert.Equal(0.9, Assert.Single(release.Gates).Results.Single().Baseline);
        var finding = Assert.Single(regressed.Findings);
        Assert.Equal(("MLG711", "metrics.json"), (finding.Code, finding.Subject));
        Assert.Null(regressed.StagedLock);
    }

    [Fact]
    public void A_metrics_file_outside_OutDir_is_keyed_relative_to_the_project()
    {
        _project.Write("eval/metrics.json", """{"accuracy": 0.9}""");

        CommitTo(Build("Debug", LockMode.Auto, file: "eval/metrics.json"));

        Assert.Equal(["eval/metrics.json"], LockedKeys());
    }

    [Fact]
    public void A_multi_targeted_project_keys_each_framework_under_its_name_and_neither_part_drops_the_other()
    {
        Metrics("bin/Debug/net9.0/", 0.9);
        Metrics("bin/Debug/net10.0/", 0.91);
        var net9 = Build("Debug", LockMode.Auto, "net9.0", multiTargeted: true);
        var net10 = Build("Debug", LockMode.Auto, "net10.0", multiTargeted: true);
        LockCommit.Commit([net9.StagedLock!, net10.StagedLock!], LockPath);

        Metrics("bin/Debug/net9.0/", 0.92);
        var update9 = Build("Debug", LockMode.Update, "net9.0", multiTargeted: true);
        CommitTo(update9);

        var locked = LockFileReader.Read(LockPath).ModelMetrics;
        Assert.Equal(["net10.0/metrics.json", "net9.0/metrics.json"], locked.Keys);
        Assert.Equal(0.92, locked["net9.0/metrics.json"].Metrics["accuracy"]);
        Assert.Equal(0.91, locked["net10.0/metrics.json"].Metrics["accuracy"]);
    }

    [Fact]
    public void A_baseline_under_an_older_project_relative_key_is_read_in_every_mode_and_rewritten_on_the_next_write()
    {
        var old = new LockFile();
        old.ModelMetrics["bin/Debug/net10.0/metrics.json"] = new LockedMetrics(
            new SortedDictionary<string, double>(Utf8OrdinalComparer.Instance) { ["accuracy"] = 0.9 },
            new SortedDictionary<string, string>(Utf8OrdinalComparer.Instance));
        File.WriteAllBytes(LockPath, LockFileWriter.ToBytes(old));

        Metrics("bin/Release/net10.0/", 0.85);
        var regressed = Build("Release", LockMode.Locked);
        Metrics("bin/Release/net10.0/", 0.9);
        var locked = Build("Release", LockMode.Locked);
        var auto = Build("Release", LockMode.Auto);
        var part = StagedLockPart.Read(auto.StagedLock!);
        CommitTo(auto);

        Assert.Equal("MLG711", Assert.Single(regressed.Findings).Code); // the old entry is the baseline, even on CI
        Assert.Empty(locked.Findings);
        Assert.Null(locked.StagedLock);
        Assert.Empty(auto.Findings);
        Assert.Contains("  > bin/Debug/net10.0/metrics.json -> metrics.json", part.Changes);
        Assert.Equal(["metrics.json"], LockedKeys());
        Assert.Equal(0.9, LockFileReader.Read(LockPath).ModelMetrics["metrics.json"].Metrics["accuracy"]);
        Metrics("bin/Debug/net10.0/", 0.9);
        Assert.Null(Build("Debug", LockMode.Auto).StagedLock); // rewritten once; the next build finds its key
    }
}
