using MlBuildGuard.Core.Configuration;
using MlBuildGuard.Core.DataValidation;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Hashing;
using MlBuildGuard.Core.Locking;
using MlBuildGuard.Core.Metrics;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests.DataValidation;

/// <summary>The one call the build makes for data and metrics: findings, and the lock sections to stage.</summary>
public class DataQualityGuardTests : IDisposable
{
    private const string Schema = "fields:\n  - {name: x, type: number, constraints: {minimum: 0}}\n  - {name: label, constraints: {enum: [a, b]}}\nmlguard: {minRows: 2}\n";

    private readonly TempDirectory _project = new("mlguard-dq");

    public void Dispose() => _project.Dispose();

    private static string Rows(int n, double offset) =>
        "x,label\n" + string.Concat(Enumerable.Range(0, n).Select(i => $"{(i % 100) + offset},{(i % 3 == 0 ? "a" : "b")}\n"));

    private DataQualityResult Run(LockMode mode, LockFile? locked = null, IReadOnlyList<DataInputItem>? inputs = null,
        IReadOnlyList<MetricsItem>? metrics = null, IReadOnlyList<MetricThreshold>? thresholds = null) =>
        DataQualityGuard.Run(new DataQualityRequest
        {
            ProjectDirectory = _project.Path,
            Mode = mode,
            Inputs = inputs ?? [new DataInputItem("data/train.csv", "data/train.schema.yaml")],
            MetricsFiles = metrics ?? [],
            Thresholds = thresholds ?? [],
            Locked = locked,
            CacheDirectory = _project.Combine("obj", "mlguard", "data"),
        });

    private LockFile Lock(DataQualityResult result)
    {
        var lockFile = new LockFile();
        var path = _project.Combine("data", "train.csv");
        lockFile.TrainingInputs["data/train.csv"] = new LockedFile(Sha256File.Compute(path).Hex, new FileInfo(path).Length);
        return lockFile.WithDataProfiles(result.Profiles).WithModelMetrics(result.Metrics);
    }

    [Fact]
    public void Clean_data_gives_no_finding_and_a_profile_to_lock_that_stays_byte_identical_while_the_data_does()
    {
        _project.Write("data/train.schema.yaml", Schema);
        _project.Write("data/train.csv", Rows(500, 0));

        var first = Run(LockMode.Auto);
        Assert.Empty(first.Findings);
        Assert.Equal(500, first.Profiles["data/train.csv"].Rows);
        Assert.Contains("profile: 500 rows, 2 column(s)", Assert.Single(first.ProfileChanges["data/train.csv"]), StringComparison.Ordinal);

        var locked = LockFileReader.Parse(LockFileWriter.ToBytes(Lock(first)));
        var again = Run(LockMode.Locked, locked);
        Assert.Empty(again.Findings);
        Assert.Empty(again.ProfileChanges);
        Assert.Equal(LockFileWriter.ToBytes(locked), LockFileWriter.ToBytes(locked.WithDataProfiles(again.Profiles)));
    }

    [Fact]
    public void A_new_version_that_drifted_is_MLG703_and_its_profile_change_is_described()
    {
        _project.Write("data/train.schema.yaml", Schema);
        _project.Write("data/train.csv", Rows(500, 0));
        var locked = Lock(Run(LockMode.Auto));
        _project.Write("data/train.csv", Rows(600, 60));

        var update = Run(LockMode.Update, locked);

        var drift = Assert.Single(update.Findings);
        Assert.Equal(("MLG703", Severity.Warning), (drift.Code, drift.Severity));
        Assert.Contains(update.ProfileChanges["data/train.csv"], l => l.Contains("rows 500 -> 600", StringComparison.Ordinal));
        Assert.Equal(600, update.Profiles["data/train.csv"].Rows);
        Assert.Equal(Severity.Error, Assert.Single(Run(LockMode.Update, locked, [new DataInputItem("data/train.csv", "data/train.schema.yaml", MaxDrift: "0.2")]).Findings).Severity);
    }

    [Fact]
    public void Invalid_metadata_and_schemas_are_reported_where_they_are()
    {
        _project.Write("data/train.csv", Rows(5, 0));
        _project.Write("data/bad.yaml", "fields:\n  - {name: x, type: numbr}\n");
        _project.Write("data/train.schema.yaml", Schema);

        var result = Run(LockMode.Auto, inputs:
        [
            new DataInputItem("data/train.csv", "data/bad.yaml"),
            new DataInputItem("data/train.csv", "data/train.schema.yaml", Format: "xlsx"),
            new DataInputItem("data/train.csv", "data/train.schema.yaml", MaxDrift: "lots"),
        ]);

        Assert.Equal(["MLG704", "MLG002", "MLG002"], result.Findings.Select(f => f.Code));
        Assert.Equal((2, 21), (result.Findings[0].Location!.Line, result.Findings[0].Location!.Column));
        Assert.Contains("'xlsx' is not a data format", result.Findings[1].Message, StringComparison.Ordinal);
        Assert.Empty(result.Profiles);
    }

    [Fact]
    public void Metrics_are_gated_against_the_baseline_of_the_same_evaluation_data()
    {
        _project.Write("data/test.csv", "x\n1\n");
        _project.Write("eval/metrics.json", "{\"accuracy\": 0.9, \"test\": {\"auc\": 0.95}}");
        MetricsItem[] metrics = [new("eval/metrics.json", ["data/test.csv"])];
        MetricThreshold[] thresholds = [new("accuracy", Minimum: 0.8, MaxDecrease: 0.01), new("test.auc", Direction: MetricDirection.Higher)];

        var first = Run(LockMode.Auto, inputs: [], metrics: metrics, thresholds: thresholds);
        Assert.Empty(first.Findings);
        var locked = new LockFile().WithModelMetrics(first.Metrics);
        Assert.Equal(Sha256File.Compute(_project.Combine("data", "test.csv")).Hex, locked.ModelMetrics["eval/metrics.json"].EvaluationInputs["data/test.csv"]);

        _project.Write("eval/metrics.json", "{\"accuracy\": 0.85, \"test\": {\"auc\": 0.95}}");
        var regressed = Run(LockMode.Locked, locked, [], metrics, thresholds);
        Assert.Equal("MLG711", Assert.Single(regressed.Findings).Code);
        Assert.Equal("0.85", Assert.Single(regressed.Gates).PerformanceMetrics[0].Value);

        _project.Write("data/test.csv", "x\n2\n");
        var otherData = Run(LockMode.Locked, locked, [], metrics, thresholds);
        Assert.Equal(["MLG713"], otherData.Findings.Select(f => f.Code));
        Assert.Equal(Severity.Error, otherData.Findings[0].Severity);
    }

    [Fact]
    public void A_threshold_for_a_metric_no_file_has_is_MLG712()
    {
        _project.Write("eval/metrics.json", "{\"accuracy\": 0.9}");

        var result = Run(LockMode.Auto, inputs: [], metrics: [new("eval/metrics.json", [])], thresholds: [new("f1", Minimum: 0.5)]);

        Assert.Contains("gated metric 'f1'", Assert.Single(result.Findings, f => f.Code == "MLG712").Message, StringComparison.Ordinal);
    }
}
