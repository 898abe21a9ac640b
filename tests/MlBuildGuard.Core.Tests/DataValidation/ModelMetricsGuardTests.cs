using MlBuildGuard.Core.Configuration;
using MlBuildGuard.Core.DataValidation;
using MlBuildGuard.Core.Locking;
using MlBuildGuard.Core.Metrics;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests.DataValidation;

/// <summary>The build's quality gate: thresholds from item metadata, and when the lock's metric baseline may move.</summary>
public sealed class ModelMetricsGuardTests : IDisposable
{
    private readonly TempDirectory _project = new("mlguard-mm");

    public void Dispose() => _project.Dispose();

    private string LockPath => _project.Combine("mlguard.lock.json");

    private ModelMetricsResult Run(LockMode mode, params MetricThresholdItem[] thresholds) => ModelMetricsGuard.Run(new ModelMetricsRequest
    {
        ProjectDirectory = _project.Path,
        LockFilePath = LockPath,
        Mode = mode,
        MetricsFiles = [new MetricsItem("metrics.json", [])],
        Thresholds = thresholds,
        StagingDirectory = _project.Combine("obj", "lock-parts"),
    });

    private double LockedAccuracy() => LockFileReader.Read(LockPath).ModelMetrics["metrics.json"].Metrics["accuracy"];

    [Fact]
    public void Auto_records_a_missing_baseline_but_never_moves_one_and_Update_does()
    {
        _project.Write("metrics.json", """{"accuracy": 0.9}""");
        var gate = new MetricThresholdItem("accuracy", "0.5", null, "0.05", null, "higher");
        LockCommit.Commit([Run(LockMode.Auto, gate).StagedLock!], LockPath);
        Assert.Equal(0.9, LockedAccuracy());

        _project.Write("metrics.json", """{"accuracy": 0.87}""");
        var auto = Run(LockMode.Auto, gate);
        Assert.Empty(auto.Findings);
        Assert.Null(auto.StagedLock);

        LockCommit.Commit([Run(LockMode.Update, gate).StagedLock!], LockPath);
        Assert.Equal(0.87, LockedAccuracy());
        Assert.Null(Run(LockMode.Locked, gate).StagedLock);
    }

    [Fact]
    public void A_threshold_that_cannot_be_honoured_is_MLG002_and_a_regression_MLG711_stages_nothing()
    {
        _project.Write("metrics.json", """{"accuracy": 0.4}""");

        var bad = Run(LockMode.Auto, new MetricThresholdItem("accuracy", "high", null, null, null, null));
        var low = Run(LockMode.Auto, new MetricThresholdItem("accuracy", "0.5", null, null, null, null));

        Assert.Contains(bad.Findings, f => f.Code == "MLG002");
        Assert.Equal("MLG711", Assert.Single(low.Findings).Code);
        Assert.Null(low.StagedLock);
    }
}
