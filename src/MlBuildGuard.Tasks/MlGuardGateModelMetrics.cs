using System.Globalization;
using MlBuildGuard.Core.Configuration;
using MlBuildGuard.Core.DataValidation;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Metrics;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace MlBuildGuard.Tasks;

/// <summary>
/// The model quality gate (MLG711–MLG713) over <c>@(MlModelMetrics)</c> and <c>@(MlMetricThreshold)</c>, run after the
/// step that writes the metrics; the logic is <see cref="ModelMetricsGuard"/>. Stages the lock's <c>modelMetrics</c>, keyed
/// like the models (relative to <c>$(OutDir)</c>), so the Debug and Release builds share one baseline.
/// </summary>
public sealed class MlGuardGateModelMetrics : MlGuardProducedFilesTask
{
    /// <summary><c>@(MlModelMetrics)</c> with <c>EvaluationInputs</c> metadata (<c>;</c>-separated paths).</summary>
    public ITaskItem[] MetricsFiles { get; set; } = [];

    /// <summary><c>@(MlMetricThreshold)</c>: the metric name, <c>Minimum</c>, <c>Maximum</c>, <c>MaxDecrease</c>, <c>MaxIncrease</c>, <c>Direction</c>.</summary>
    public ITaskItem[] Thresholds { get; set; } = [];

    [Required]
    public string LockFile { get; set; } = "";

    public string? LockMode { get; set; }

    public string? UpdateLock { get; set; }

    public string? ContinuousIntegrationBuild { get; set; }

    public string? StagingDirectory { get; set; }

    [Output]
    public string? StagedLockFile { get; set; }

    /// <summary>
    /// The gate's results for the provenance and the ML-BOM: one item per metric and threshold, the metric name as item
    /// spec, metadata <c>MetricsFile</c> (its lock key), <c>Path</c>, <c>Value</c>, <c>Baseline</c>, <c>Passed</c>.
    /// </summary>
    [Output]
    public ITaskItem[] GateResults { get; set; } = [];

    protected override string GuardName => "model-metrics";

    protected override void Run(List<Finding> findings)
    {
        var mode = LockModeParser.Resolve(LockMode, UpdateLock, ContinuousIntegrationBuild, out var configurationErrors);
        var result = ModelMetricsGuard.Run(new ModelMetricsRequest
        {
            ProjectDirectory = ProjectDirectory,
            LockFilePath = FullPath(LockFile),
            Mode = mode,
            MetricsFiles = [.. MetricsFiles.Select(m => new MetricsItem(m.ItemSpec,
                m.GetMetadata("EvaluationInputs").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))],
            Thresholds = [.. Thresholds.Select(t => new MetricThresholdItem(t.ItemSpec, Metadata(t, "Minimum"), Metadata(t, "Maximum"), Metadata(t, "MaxDecrease"),
                Metadata(t, "MaxIncrease"), Metadata(t, "Direction")))],
            StagingDirectory = string.IsNullOrEmpty(StagingDirectory) ? null : FullPath(StagingDirectory),
            Keys = Keys(),
            Suppressions = ActiveSuppressions(),
            BuildAlreadyFails = ConfigurationFailed || configurationErrors.Count > 0 || HasSuppressionErrors(),
        });

        StagedLockFile = result.StagedLock;
        foreach (var gate in result.Gates)
        {
            Log.LogMessage(MessageImportance.Normal, $"MlBuildGuard model-metrics: {gate.MetricsFile}: " +
                string.Join(", ", gate.PerformanceMetrics.Select(m => $"{m.Type} {m.Value}")));
        }

        GateResults = [.. result.Gates.SelectMany(gate => gate.Results.Select(r => GateResultItem(gate, r)))];
        findings.AddRange(result.Findings);
    }

    private static ITaskItem GateResultItem(MetricGateReport gate, MetricGateResult result)
    {
        var item = new TaskItem(MsBuildEscape(result.Metric));
        item.SetMetadata("MetricsFile", MsBuildEscape(gate.MetricsFile));
        item.SetMetadata("Path", MsBuildEscape(gate.FullPath));
        item.SetMetadata("Value", result.Value.ToString("R", CultureInfo.InvariantCulture));
        item.SetMetadata("Baseline", result.Baseline?.ToString("R", CultureInfo.InvariantCulture) ?? "");
        item.SetMetadata("Passed", result.Threshold is null ? "" : result.Passed == true ? "true" : "false");
        return item;
    }
}
