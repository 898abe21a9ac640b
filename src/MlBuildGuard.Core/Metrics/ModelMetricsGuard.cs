using MlBuildGuard.Core.Configuration;
using MlBuildGuard.Core.DataValidation;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Locking;
using MlBuildGuard.Core.Reproducibility;

namespace MlBuildGuard.Core.Metrics;

/// <summary>One <c>MlMetricThreshold</c> item as MSBuild gives it: the metric name and its metadata, unparsed.</summary>
public sealed record MetricThresholdItem(string Metric, string? Minimum, string? Maximum, string? MaxDecrease, string? MaxIncrease, string? Direction);

public sealed class ModelMetricsRequest
{
    public required string ProjectDirectory { get; init; }

    public required string LockFilePath { get; init; }

    public required LockMode Mode { get; init; }

    public required IReadOnlyList<MetricsItem> MetricsFiles { get; init; }

    public IReadOnlyList<MetricThresholdItem> Thresholds { get; init; } = [];

    /// <summary>
    /// How the metrics files are keyed in <c>modelMetrics</c>: like the models the same step produces (SPEC §4), relative to
    /// <c>$(OutDir)</c> when under it, so the Debug and Release builds share one baseline; null keys them relative to the
    /// project.
    /// </summary>
    public ProducedFileKeys? Keys { get; init; }

    /// <summary>Where the <c>modelMetrics</c> part of the lock is staged for the commit after the build; null stages nothing.</summary>
    public string? StagingDirectory { get; init; }

    public SuppressionSet Suppressions { get; init; } = SuppressionSet.Empty;

    public bool BuildAlreadyFails { get; init; }
}

public sealed class ModelMetricsResult
{
    public List<Finding> Findings { get; } = new();

    public List<MetricGateReport> Gates { get; } = new();

    public string? StagedLock { get; set; }
}

/// <summary>
/// The model quality gate of a build (MLG711–MLG713, and MLG002 for a threshold that cannot be honoured): the metrics
/// files the training or evaluation step wrote, against <c>MlMetricThreshold</c> items and the baselines in the lock's
/// <c>modelMetrics</c>; new baselines are staged with the build's other parts of the lock (never in <c>Locked</c> mode,
/// never when the gate fails; in <c>Auto</c> mode only for files without one, in <c>Update</c> mode for all).
/// </summary>
public static class ModelMetricsGuard
{
    public static ModelMetricsResult Run(ModelMetricsRequest request)
    {
        var result = new ModelMetricsResult();
        var thresholds = new List<MetricThreshold>();
        foreach (var t in request.Thresholds)
        {
            if (MetricThreshold.TryCreate(t.Metric, t.Minimum, t.Maximum, t.MaxDecrease, t.MaxIncrease, t.Direction, out var problems) is { } threshold)
            {
                thresholds.Add(threshold);
            }

            result.Findings.AddRange(problems.Select(p => Finding.Create(RuleCatalog.InvalidConfiguration, null, t.Metric, p)));
        }

        LockFile? locked;
        try
        {
            locked = File.Exists(request.LockFilePath) ? LockFileReader.Read(request.LockFilePath) : null;
        }
        catch (LockFileException)
        {
            return result; // MLG407 is the training-input guard's, and it already failed the build
        }

        var quality = new DataQualityResult();
        DataQualityGuard.GateMetrics(new DataQualityRequest
        {
            ProjectDirectory = request.ProjectDirectory,
            Mode = request.Mode,
            MetricsFiles = request.MetricsFiles,
            Thresholds = thresholds,
            Locked = locked,
            MetricsKeys = request.Keys,
        }, quality);
        result.Findings.AddRange(quality.Findings);
        result.Gates.AddRange(quality.Gates);

        var blocked = request.BuildAlreadyFails || request.Suppressions.Apply(result.Findings).Any(f => f.SuppressedBy is null && f.Severity == Severity.Error);
        if (request.StagingDirectory is { } staging && request.Mode != LockMode.Locked && !blocked && (locked is not null || quality.Metrics.Count > 0))
        {
            var (proposed, changes) = Proposed(locked?.ModelMetrics ?? new(Utf8OrdinalComparer.Instance), quality, request.Mode);
            result.StagedLock = StagedLockPart.StageIfChanged(staging, "model metrics", locked, (locked ?? new LockFile()).WithModelMetrics(proposed),
                $"{quality.Metrics.Count} metrics file(s), {changes.Count} changed", changes);
        }

        return result;
    }

    /// <summary>
    /// What <c>modelMetrics</c> should hold after this build, and the lines that say what changed. Entries of files this
    /// build did not gate stay (another framework's build of a multi-targeted project gates those, as it seals its models);
    /// a baseline found under an older key moves to the file's key.
    /// </summary>
    private static (SortedDictionary<string, LockedMetrics> Proposed, List<string> Changes) Proposed(
        SortedDictionary<string, LockedMetrics> before, DataQualityResult quality, LockMode mode)
    {
        var proposed = new SortedDictionary<string, LockedMetrics>(before, Utf8OrdinalComparer.Instance);
        var changes = new List<string>();
        foreach (var (key, now) in quality.Metrics)
        {
            var olderKeys = quality.RekeyedMetrics.GetValueOrDefault(key) ?? [];
            var old = before.GetValueOrDefault(key) ?? (olderKeys.Count > 0 ? before[olderKeys[0]] : null);
            foreach (var olderKey in olderKeys)
            {
                proposed.Remove(olderKey);
            }

            // Auto records a baseline that is missing but never moves one: a model that loses a little every build would
            // otherwise pass every MaxDecrease gate. The baseline moves when the lock is updated on purpose.
            var recorded = old is not null && mode != LockMode.Update ? old : now;
            proposed[key] = recorded;
            if (olderKeys.Count > 0)
            {
                changes.Add($"  > {string.Join(", ", olderKeys)} -> {key}");
            }

            if (old is null || !old.ContentEquals(recorded))
            {
                changes.Add($"  {(old is null ? '+' : '~')} {key}: {string.Join(", ", recorded.Metrics.Select(v => $"{v.Key} {v.Value.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}"))}");
            }
        }

        return (proposed, changes);
    }
}
