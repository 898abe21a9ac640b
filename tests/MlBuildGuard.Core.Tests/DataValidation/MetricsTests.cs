using System.Text;
using MlBuildGuard.Core.Configuration;
using MlBuildGuard.Core.DataValidation;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Locking;
using MlBuildGuard.Core.Metrics;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests.DataValidation;

public class MetricsTests : IDisposable
{
    private static readonly string EvalDigest = new('e', 64);

    private readonly TempDirectory _temp = new("mlguard-metrics");

    public void Dispose() => _temp.Dispose();

    private static Dictionary<string, string> Inputs(string digest) => new() { ["data/test.csv"] = digest };

    private static LockedMetrics Baseline(double accuracy, string digest) => new(
        new SortedDictionary<string, double>(Utf8OrdinalComparer.Instance) { ["accuracy"] = accuracy },
        new SortedDictionary<string, string>(Utf8OrdinalComparer.Instance) { ["data/test.csv"] = digest });

    private MetricGateReport Gate(string json, MetricThreshold[] thresholds, LockedMetrics? baseline = null, string? digest = null, LockMode mode = LockMode.Auto)
    {
        var path = _temp.Write("metrics.json", json);
        return MetricGate.Evaluate(path, "metrics.json", thresholds, Inputs(digest ?? EvalDigest), baseline, mode);
    }

    [Fact]
    public void Nested_metrics_are_flattened_with_dots_and_non_numbers_set_aside()
    {
        var file = MetricsFile.Parse(Encoding.UTF8.GetBytes("{\"accuracy\": 0.9, \"test\": {\"auc\": 0.8, \"f1\": {\"macro\": 0.7}}, \"model\": \"xgb\", \"ok\": true}"));

        Assert.Equal(["accuracy", "test.auc", "test.f1.macro"], file.Values.Keys);
        Assert.Equal(["model", "ok"], file.NonNumeric.Keys);
    }

    [Theory]
    [InlineData("{\"accuracy\": NaN}", 1, 14, "NaN")]
    [InlineData("{\n  \"loss\": -Infinity\n}", 2, 12, "Infinity")]
    [InlineData("[0.9]", 1, 1, "not an array")]
    [InlineData("{\"a\": 1, \"a\": 2}", 1, 10, "duplicate key")]
    public void Malformed_metrics_files_are_refused_with_a_place(string json, int line, int column, string reason)
    {
        var e = Assert.Throws<SchemaException>(() => MetricsFile.Parse(Encoding.UTF8.GetBytes(json)));

        Assert.Contains(reason, e.Reason, StringComparison.Ordinal);
        Assert.Equal((line, column), (e.Line, e.Column));
    }

    [Fact]
    public void Metrics_within_bounds_and_tolerance_pass_quietly_and_are_ready_for_the_lock()
    {
        var report = Gate("{\"accuracy\": 0.905, \"loss\": 0.2}",
            [new MetricThreshold("accuracy", Minimum: 0.8, MaxDecrease: 0.01, Direction: MetricDirection.Higher)], Baseline(0.91, EvalDigest));

        Assert.Empty(report.Findings);
        Assert.True(report.BaselineComparable);
        Assert.Equal(0.905, report.ToLock!.Metrics["accuracy"]);
        Assert.Equal(EvalDigest, report.ToLock.EvaluationInputs["data/test.csv"]);
        var accuracy = Assert.Single(report.Results, r => r.Metric == "accuracy");
        Assert.Equal((true, 0.91), (accuracy.Passed!.Value, accuracy.Baseline!.Value));
        Assert.Null(Assert.Single(report.Results, r => r.Metric == "loss").Passed);
        Assert.Equal(new PerformanceMetric("accuracy", "0.905", "gate passed (baseline 0.91)"), report.PerformanceMetrics[0]);
    }

    [Theory]
    [InlineData(0.7, "below its minimum 0.8")]
    [InlineData(0.99, "above its maximum 0.95")]
    [InlineData(0.88, "0.03 lower than the locked baseline 0.91, more than its MaxDecrease 0.01")]
    public void A_metric_out_of_bounds_or_regressed_is_MLG711(double accuracy, string reason)
    {
        var report = Gate($"{{\"accuracy\": {accuracy}}}",
            [new MetricThreshold("accuracy", Minimum: 0.8, Maximum: 0.95, MaxDecrease: 0.01)], Baseline(0.91, EvalDigest));

        var finding = Assert.Single(report.Findings);
        Assert.Equal("MLG711", finding.Code);
        Assert.Contains(reason, finding.Message, StringComparison.Ordinal);
        Assert.Equal("metrics.json", finding.Subject);
        Assert.False(report.Results.Single().Passed);
    }

    [Fact]
    public void A_direction_alone_refuses_any_change_for_the_worse()
    {
        var lower = new MetricThreshold("accuracy", Direction: MetricDirection.Lower);
        Assert.Contains("MaxIncrease 0", MetricGate.Check(lower, 0.92, 0.91), StringComparison.Ordinal);
        Assert.Null(MetricGate.Check(lower, 0.90, 0.91));
        Assert.Null(MetricGate.Check(new MetricThreshold("accuracy", MaxIncrease: 0.05), 0.95, 0.91));
    }

    [Fact]
    public void A_missing_file_metric_or_non_numeric_metric_with_a_threshold_is_MLG712()
    {
        var missing = MetricGate.Evaluate(_temp.Combine("none.json"), "none.json", [new MetricThreshold("accuracy", Minimum: 0.5)], Inputs(EvalDigest), null, LockMode.Auto);
        var absent = Gate("{\"loss\": 0.1}", [new MetricThreshold("accuracy", Minimum: 0.5)]);
        var text = Gate("{\n  \"accuracy\": \"0.9\"\n}", [new MetricThreshold("accuracy", Minimum: 0.5)]);
        var nan = Gate("{\"accuracy\": NaN}", [new MetricThreshold("accuracy", Minimum: 0.5)]);

        Assert.Contains("does not exist", Assert.Single(missing.Findings).Message, StringComparison.Ordinal);
        Assert.Contains("it is missing", Assert.Single(absent.Findings).Message, StringComparison.Ordinal);
        var finding = Assert.Single(text.Findings);
        Assert.Contains("it is a string, not a number", finding.Message, StringComparison.Ordinal);
        Assert.Equal(2, finding.Location!.Line);
        Assert.Contains("is malformed: a metric is NaN", Assert.Single(nan.Findings).Message, StringComparison.Ordinal);
        Assert.All(new[] { missing, absent, text, nan }.SelectMany(r => r.Findings), f => Assert.Equal("MLG712", f.Code));
        Assert.Null(missing.ToLock);
    }

    [Theory]
    [InlineData(LockMode.Auto, Severity.Warning)]
    [InlineData(LockMode.Locked, Severity.Error)]
    public void A_baseline_from_other_evaluation_data_is_MLG713_and_tolerances_are_not_applied(LockMode mode, Severity severity)
    {
        var report = Gate("{\"accuracy\": 0.5}", [new MetricThreshold("accuracy", Minimum: 0.6, MaxDecrease: 0.01)], Baseline(0.91, new string('f', 64)), mode: mode);

        var other = Assert.Single(report.Findings, f => f.Code == "MLG713");
        Assert.Equal(severity, other.Severity);
        Assert.Contains("'data/test.csv' changed from sha256 ffffffffffff… to eeeeeeeeeeee…", other.Message, StringComparison.Ordinal);
        var regressed = Assert.Single(report.Findings, f => f.Code == "MLG711");
        Assert.Contains("below its minimum", regressed.Message, StringComparison.Ordinal); // the absolute bound still holds
        Assert.Null(report.Results.Single().Baseline);
    }

    [Theory]
    [InlineData("accuracy", "0.8", "", "", "", "higher", true)]
    [InlineData("accuracy", "", "", "0.01", "", "", true)]
    [InlineData("accuracy", "x", "", "", "", "", false)]
    [InlineData("accuracy", "0.9", "0.8", "", "", "", false)]
    [InlineData("accuracy", "", "", "-0.1", "", "", false)]
    [InlineData("accuracy", "", "", "", "", "up", false)]
    [InlineData("accuracy", "", "", "", "", "", false)]
    [InlineData("", "0.5", "", "", "", "", false)]
    public void Threshold_metadata_is_checked(string metric, string min, string max, string down, string up, string direction, bool valid)
    {
        var threshold = MetricThreshold.TryCreate(metric, min, max, down, up, direction, out var problems);

        Assert.Equal(valid, threshold is not null);
        Assert.Equal(valid, problems.Count == 0);
    }
}
