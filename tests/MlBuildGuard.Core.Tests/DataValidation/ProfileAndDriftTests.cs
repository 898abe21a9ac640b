using System.Globalization;
using System.Text;
using MlBuildGuard.Core.DataValidation;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Locking;

namespace MlBuildGuard.Core.Tests.DataValidation;

public class ProfileAndDriftTests : IDisposable
{
    private const string Schema = """
        fields:
          - {name: x, type: number}
          - {name: label}
        """;

    private readonly DataFixture _data = new();

    public void Dispose() => _data.Dispose();

    /// <summary>n rows: x from a deterministic spread around <paramref name="mean"/>; label "a" with share <paramref name="shareA"/>.</summary>
    private static string Rows(int n, double mean, double shareA)
    {
        var text = new StringBuilder("x,label\n");
        var random = new Random(7);
        for (var i = 0; i < n; i++)
        {
            var x = mean + (random.NextDouble() - 0.5) * 20;
            text.Append(x.ToString("R", CultureInfo.InvariantCulture)).Append(',').Append(i < n * shareA ? "a" : "b").Append('\n');
        }

        return text.ToString();
    }

    private DataProfile Profile(string name, string csv, DataProfile? locked = null) => _data.Validate(name, csv, Schema, locked: locked).Profile!;

    [Fact]
    public void A_profile_holds_exact_statistics_and_a_histogram_of_about_equal_bins()
    {
        var profile = Profile("p.csv", "x,label\n1,a\n2,a\n3,b\n4,\n,b\n");
        var x = profile.Columns["x"];

        Assert.Equal(5, profile.Rows);
        Assert.Equal((0.2, 1.0, 4.0, 2.5), (x.NullFraction, x.Min!.Value, x.Max!.Value, x.Mean!.Value));
        Assert.Equal(1.29099, x.StdDev!.Value, 5);
        Assert.Equal(1.0, x.Histogram!.Fractions.Sum(), 5);
        Assert.Equal(x.Histogram.Edges.Length, x.Histogram.Fractions.Length + 1);
        var label = profile.Columns["label"];
        Assert.Equal(0.5, label.Categories!["a"]);
        Assert.Equal(0, label.Other);
    }

    [Fact]
    public void Extreme_and_tiny_numbers_keep_the_histogram_bounded_and_whole()
    {
        var values = new[] { "1e300", "-1e300", "1e-300", "0", "-0.5", "3", "1.7976931348623157e308", "-4e-320" };
        var x = Profile("x.csv", "x,label\n" + string.Concat(values.Select(v => v + ",a\n"))).Columns["x"];

        Assert.Equal(-1e300, x.Min);
        Assert.Equal(double.MaxValue, x.Max);
        Assert.Equal(1.0, x.Histogram!.Fractions.Sum(), 5);
        Assert.True(x.Histogram.Edges.Zip(x.Histogram.Edges.Skip(1)).All(p => p.First <= p.Second));
        var lockFile = new LockFile();
        lockFile.DataProfiles["x.csv"] = new DataProfile(8, new SortedDictionary<string, ColumnProfile>(Utf8OrdinalComparer.Instance) { ["x"] = x });
        Assert.True(LockFileReader.Parse(LockFileWriter.ToBytes(lockFile)).DataProfiles["x.csv"].ContentEquals(lockFile.DataProfiles["x.csv"]));
    }

    [Fact]
    public void Unchanged_data_compared_with_its_own_profile_does_not_drift_and_keeps_its_bins()
    {
        var csv = Rows(5000, 50, 0.5);
        var first = Profile("a.csv", csv);
        var again = _data.Validate("b.csv", csv, Schema, locked: first);

        Assert.Empty(again.Findings);
        Assert.True(first.ContentEquals(again.Profile!), "the same data with its own bins gives the same profile");
        Assert.All(DriftDetector.Compare(first, again.Profile!, DriftThresholds.Default), d => Assert.Equal(0, d.Value));
    }

    [Fact]
    public void A_shifted_numeric_column_drifts_by_PSI_as_a_warning()
    {
        var locked = Profile("a.csv", Rows(5000, 50, 0.5));
        var result = _data.Validate("b.csv", Rows(5000, 58, 0.5), Schema, locked: locked);

        var finding = Assert.Single(result.Findings);
        Assert.Equal("MLG703", finding.Code);
        Assert.Equal(Severity.Warning, finding.Severity);
        Assert.Contains("column 'x': PSI", finding.Message, StringComparison.Ordinal);
        Assert.Contains("exceeds its threshold 0.25", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MaxDrift_on_the_input_makes_drift_an_error_with_its_threshold()
    {
        var locked = Profile("a.csv", Rows(5000, 50, 0.5));
        var result = _data.Validate("b.csv", Rows(5000, 51, 0.5), Schema, locked: locked, maxDrift: new DriftThresholds(0.01, 0.5, null));

        var finding = Assert.Single(result.Findings);
        Assert.Equal(Severity.Error, finding.Severity);
        Assert.Contains("exceeds its threshold 0.01", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_shifted_category_mix_drifts_by_Jensen_Shannon_and_L_infinity()
    {
        var locked = Profile("a.csv", Rows(5000, 50, 0.5));
        var result = _data.Validate("b.csv", Rows(5000, 50, 0.95), Schema, locked: locked, maxDrift: new DriftThresholds(0.25, 0.1, 0.2));

        Assert.Equal(["Jensen–Shannon", "L-infinity"], result.Findings.Select(f => f.Message.Contains("Jensen", StringComparison.Ordinal) ? "Jensen–Shannon" : "L-infinity"));
        Assert.All(result.Findings, f => Assert.Contains("column 'label'", f.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void Drift_statistics_have_their_textbook_values()
    {
        Assert.Equal(0, DriftDetector.Psi([0.5, 0.5], [0.5, 0.5]));
        Assert.Equal(0.2 * Math.Log(0.7 / 0.5) + -0.2 * Math.Log(0.3 / 0.5), DriftDetector.Psi([0.5, 0.5], [0.7, 0.3]), 12);
        Assert.Equal(1, DriftDetector.JensenShannon([1, 0], [0, 1]), 12);
        Assert.Equal(0, DriftDetector.JensenShannon([0.3, 0.7], [0.3, 0.7]), 12);
    }

    [Fact]
    public void The_change_summary_shows_what_changed_in_the_data()
    {
        var before = Profile("a.csv", Rows(1000, 50, 0.5));
        var after = Profile("b.csv", Rows(1200, 60, 0.8), locked: before);

        var lines = ProfileChangeSummary.Describe(before, after, DriftThresholds.Default);

        Assert.Contains(lines, l => l.Contains("rows 1,000 -> 1,200 (+200)", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("      x: mean", StringComparison.Ordinal) && l.Contains("PSI", StringComparison.Ordinal) && l.Contains("(over 0.25)", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("      label: \"a\" 50% -> 80%", StringComparison.Ordinal));
        Assert.Empty(ProfileChangeSummary.Describe(before, before, DriftThresholds.Default));
        Assert.Contains("profile: 1,000 rows, 2 column(s)", Assert.Single(ProfileChangeSummary.Describe(null, before, DriftThresholds.Default)), StringComparison.Ordinal);
    }

    [Fact]
    public void Columns_with_many_distinct_values_are_not_recorded_as_categories()
    {
        var text = new StringBuilder("x,label\n");
        for (var i = 0; i < ColumnProfiler.MaxDistinctCategories + 5; i++)
        {
            text.Append(i).Append(",name").Append(i).Append('\n');
        }

        var label = Profile("many.csv", text.ToString()).Columns["label"];

        Assert.Equal(ColumnKinds.Other, label.Kind);
        Assert.Null(label.Categories);
    }

    [Fact]
    public void Profiles_round_trip_through_the_lock_to_identical_bytes()
    {
        var lockFile = new LockFile();
        lockFile.TrainingInputs["data/a.csv"] = new LockedFile(new string('a', 64), 10);
        lockFile.DataProfiles["data/a.csv"] = Profile("a.csv", Rows(3000, 0.001, 0.3));
        lockFile.ModelMetrics["metrics.json"] = new LockedMetrics(
            new SortedDictionary<string, double>(Utf8OrdinalComparer.Instance) { ["accuracy"] = 0.1 + 0.2, ["test.auc"] = 0.9 },
            new SortedDictionary<string, string>(Utf8OrdinalComparer.Instance) { ["data/test.csv"] = new string('b', 64) });

        var bytes = LockFileWriter.ToBytes(lockFile);
        var read = LockFileReader.Parse(bytes);

        Assert.Equal(bytes, LockFileWriter.ToBytes(read));
        Assert.True(read.DataProfiles["data/a.csv"].ContentEquals(lockFile.DataProfiles["data/a.csv"]));
        Assert.Equal(0.1 + 0.2, read.ModelMetrics["metrics.json"].Metrics["accuracy"]);
        Assert.Contains("\"accuracy\": 0.30000000000000004", Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
        Assert.Equal(bytes, LockFileWriter.ToBytes(read.WithTrainingInputs(read.TrainingInputs)));
    }

    [Fact]
    public void A_lock_without_profiles_or_metrics_is_written_as_before()
    {
        var lockFile = new LockFile();
        lockFile.TrainingInputs["a.csv"] = new LockedFile(new string('a', 64), 1);

        var text = Encoding.UTF8.GetString(LockFileWriter.ToBytes(lockFile));

        Assert.DoesNotContain("dataProfiles", text, StringComparison.Ordinal);
        Assert.DoesNotContain("modelMetrics", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"dataProfiles\": {\"a.csv\": {\"rows\": -1, \"columns\": {}}}", "'rows' must be a non-negative integer")]
    [InlineData("\"dataProfiles\": {\"a.csv\": {\"rows\": 1}}", "needs 'columns'")]
    [InlineData("\"dataProfiles\": {\"../a.csv\": {\"rows\": 1, \"columns\": {}}}", "'..' path segment")]
    [InlineData("\"dataProfiles\": {\"a.csv\": {\"rows\": 1, \"columns\": {\"x\": {\"kind\": \"numeric\", \"nullFraction\": 0, \"histogram\": {\"edges\": [1], \"fractions\": [1]}}}}}", "one more edge than fractions")]
    [InlineData("\"dataProfiles\": {\"a.csv\": {\"rows\": 1, \"columns\": {\"x\": {\"kind\": \"weird\", \"nullFraction\": 0}}}}", "'kind' must be")]
    [InlineData("\"modelMetrics\": {\"m.json\": {\"metrics\": {\"acc\": \"high\"}}}", "must be a finite number")]
    [InlineData("\"modelMetrics\": {\"m.json\": {\"metrics\": {}, \"evaluationInputs\": {\"t.csv\": \"xyz\"}}}", "64 lowercase hexadecimal")]
    [InlineData("\"modelMetrics\": {\"m.json\": {\"values\": {}}}", "unknown or repeated property 'values'")]
    public void Malformed_profile_or_metric_sections_are_MLG407_material_with_a_place(string section, string reason)
    {
        var text = "{\n  \"version\": 1,\n  \"trainingInputs\": {},\n  \"modelOutputs\": {},\n  " + section + "\n}\n";

        var e = Assert.Throws<LockFileException>(() => LockFileReader.Parse(Encoding.UTF8.GetBytes(text)));

        Assert.Contains(reason, e.Reason, StringComparison.Ordinal);
        Assert.Equal(5, e.Line);
        Assert.True(e.Column > 0);
    }
}
