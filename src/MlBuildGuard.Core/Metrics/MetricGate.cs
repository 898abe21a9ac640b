using System.Globalization;
using MlBuildGuard.Core.Configuration;
using MlBuildGuard.Core.DataValidation;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Locking;

namespace MlBuildGuard.Core.Metrics;

/// <summary>What the gate decided for one metric, for provenance and the ML-BOM as much as for the log.</summary>
/// <param name="Baseline">The locked value, when a comparable baseline exists.</param>
/// <param name="Passed">False when an MLG711 was reported for it; null when the metric has no threshold.</param>
public sealed record MetricGateResult(string Metric, double Value, double? Baseline, MetricThreshold? Threshold, bool? Passed, string? Reason);

/// <summary>The outcome of gating one metrics file.</summary>
public sealed class MetricGateReport
{
    /// <summary>The file's lock key (SPEC §4: relative to <c>$(OutDir)</c> when under it), what findings and suppressions name.</summary>
    public required string MetricsFile { get; init; }

    /// <summary>The file's full path.</summary>
    public required string FullPath { get; init; }

    public List<Finding> Findings { get; } = new();

    /// <summary>Every metric of the file with its gate result, in name order.</summary>
    public List<MetricGateResult> Results { get; } = new();

    /// <summary>What the lock should hold for this file after this build (null when the file could not be read).</summary>
    public LockedMetrics? ToLock { get; set; }

    /// <summary>Whether the locked baseline was computed on the same evaluation data (false: MLG713, tolerances skipped).</summary>
    public bool BaselineComparable { get; set; }

    /// <summary>CycloneDX 1.6 <c>modelCard.quantitativeAnalysis.performanceMetrics</c> entries for these results.</summary>
    public IReadOnlyList<PerformanceMetric> PerformanceMetrics => Results.Select(PerformanceMetric.From).ToArray();
}

/// <summary>
/// A CycloneDX 1.6 performance metric (<c>type</c>, <c>value</c>, optional <c>slice</c> and <c>confidenceInterval</c>):
/// the gate's result goes in the slice text so a reader of the BOM sees what it was held to.
/// </summary>
public sealed record PerformanceMetric(string Type, string Value, string? Slice)
{
    public static PerformanceMetric From(MetricGateResult r) => From(r.Metric, r.Value, r.Baseline, r.Threshold is null ? null : r.Passed == true);

    /// <param name="passed">The gate's verdict, or null when no threshold gates the metric.</param>
    public static PerformanceMetric From(string metric, double value, double? baseline, bool? passed) => new(metric, value.ToString("R", CultureInfo.InvariantCulture),
        passed is not { } p ? null : $"gate {(p ? "passed" : "failed")}{(baseline is { } b ? $" (baseline {b.ToString("R", CultureInfo.InvariantCulture)})" : "")}");
}

/// <summary>
/// The model quality gate (MLG711–MLG713): reads an <c>MlModelMetrics</c> file, checks each threshold's absolute bounds,
/// and its tolerances against the locked baseline when that baseline was computed on the same evaluation inputs.
/// </summary>
public static class MetricGate
{
    /// <param name="metricsPath">The file to read.</param>
    /// <param name="subject">Its lock key (what findings and suppressions name).</param>
    /// <param name="evaluationInputs">Project-relative path → SHA-256 of each evaluation input now.</param>
    /// <param name="baseline">The lock's entry for this file, if any.</param>
    public static MetricGateReport Evaluate(string metricsPath, string subject, IReadOnlyList<MetricThreshold> thresholds,
        IReadOnlyDictionary<string, string> evaluationInputs, LockedMetrics? baseline, LockMode mode)
    {
        var report = new MetricGateReport { MetricsFile = subject, FullPath = metricsPath };
        MetricsFile file;
        try
        {
            if (!File.Exists(metricsPath))
            {
                report.Findings.Add(Finding.Create(RuleCatalog.MetricsMissing, new SourceLocation(metricsPath), subject, subject,
                    "does not exist; the training or evaluation step must write it before the gate runs"));
                return report;
            }

            file = MetricsFile.Read(metricsPath);
        }
        catch (SchemaException e)
        {
            report.Findings.Add(Finding.Create(RuleCatalog.MetricsMissing, new SourceLocation(metricsPath, e.Line, e.Column), subject, subject, $"is malformed: {e.Reason}"));
            return report;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            report.Findings.Add(Finding.Create(RuleCatalog.MetricsMissing, new SourceLocation(metricsPath), subject, subject, $"cannot be read: {e.Message}"));
            return report;
        }

        var inputs = new SortedDictionary<string, string>(Utf8OrdinalComparer.Instance);
        foreach (var (path, digest) in evaluationInputs)
        {
            inputs[path] = digest;
        }

        report.BaselineComparable = baseline is not null && baseline.EvaluationInputs.SequenceEqual(inputs);
        if (baseline is not null && !report.BaselineComparable)
        {
            var finding = Finding.Create(RuleCatalog.MetricBaselineOtherData, new SourceLocation(metricsPath), subject, subject,
                DescribeInputChange(baseline.EvaluationInputs, inputs));
            report.Findings.Add(mode == LockMode.Locked ? finding.WithSeverity(Severity.Error) : finding);
        }

        var byMetric = thresholds.GroupBy(t => t.Metric, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        foreach (var (name, list) in byMetric)
        {
            if (file.Values.ContainsKey(name))
            {
                continue;
            }

            var (line, column, why) = file.NonNumeric.TryGetValue(name, out var bad) ? (bad.Line, bad.Column, $"is {bad.What}, not a number") : (0, 0, "is missing");
            report.Findings.Add(Finding.Create(RuleCatalog.MetricsMissing, new SourceLocation(metricsPath, line, column), subject, subject,
                $"has no usable value for the gated metric '{name}': it {why}"));
        }

        foreach (var (name, value) in file.Values)
        {
            var locked = baseline is not null && baseline.Metrics.TryGetValue(name, out var b) ? b : (double?)null;
            if (!byMetric.TryGetValue(name, out var gates))
            {
                report.Results.Add(new MetricGateResult(name, value, report.BaselineComparable ? locked : null, null, null, null));
                continue;
            }

            foreach (var threshold in gates)
            {
                var failure = Check(threshold, value, report.BaselineComparable ? locked : null);
                report.Results.Add(new MetricGateResult(name, value, report.BaselineComparable ? locked : null, threshold, failure is null, failure));
                if (failure is not null)
                {
                    report.Findings.Add(Finding.Create(RuleCatalog.MetricRegressed, new SourceLocation(metricsPath), subject,
                        name, subject, F(value), failure));
                }
            }
        }

        report.ToLock = new LockedMetrics(new SortedDictionary<string, double>(file.Values, Utf8OrdinalComparer.Instance), inputs);
        return report;
    }

    /// <summary>Why the value fails the threshold, or null when it passes.</summary>
    public static string? Check(MetricThreshold t, double value, double? baseline)
    {
        if (t.Minimum is { } min && value < min)
        {
            return $"below its minimum {F(min)}";
        }

        if (t.Maximum is { } max && value > max)
        {
            return $"above its maximum {F(max)}";
        }

        if (baseline is not { } b)
        {
            return null;
        }

        if (t.DecreaseTolerance is { } down && b - value > down)
        {
            return $"{F(b - value)} lower than the locked baseline {F(b)}, more than its MaxDecrease {F(down)}";
        }

        if (t.IncreaseTolerance is { } up && value - b > up)
        {
            return $"{F(value - b)} higher than the locked baseline {F(b)}, more than its MaxIncrease {F(up)}";
        }

        return null;
    }

    private static string DescribeInputChange(SortedDictionary<string, string> then, SortedDictionary<string, string> now)
    {
        var parts = new List<string>();
        foreach (var (path, digest) in now)
        {
            if (!then.TryGetValue(path, out var old))
            {
                parts.Add($"'{path}' added");
            }
            else if (old != digest)
            {
                parts.Add($"'{path}' changed from sha256 {old[..12]}… to {digest[..12]}…");
            }
        }

        parts.AddRange(then.Keys.Where(k => !now.ContainsKey(k)).Select(k => $"'{k}' no longer an evaluation input"));
        return string.Join("; ", parts);
    }

    private static string F(double value) => value.ToString("G6", CultureInfo.InvariantCulture);
}
