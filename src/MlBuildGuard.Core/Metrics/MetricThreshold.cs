using System.Globalization;

namespace MlBuildGuard.Core.Metrics;

public enum MetricDirection
{
    /// <summary>Not declared: only the bounds and tolerances given are checked.</summary>
    Unspecified,
    Higher,
    Lower,
}

/// <summary>
/// One <c>MlMetricThreshold</c> (SPEC §3): absolute bounds, and tolerances against the locked baseline. With a
/// <see cref="Direction"/> and no tolerance for the worse side, any change for the worse fails (tolerance 0).
/// </summary>
public sealed record MetricThreshold(string Metric, double? Minimum = null, double? Maximum = null, double? MaxDecrease = null, double? MaxIncrease = null,
    MetricDirection Direction = MetricDirection.Unspecified)
{
    /// <summary>The tolerance for a decrease against the baseline, or null when decreases are not gated.</summary>
    public double? DecreaseTolerance => MaxDecrease ?? (Direction == MetricDirection.Higher ? 0 : null);

    public double? IncreaseTolerance => MaxIncrease ?? (Direction == MetricDirection.Lower ? 0 : null);

    /// <summary>
    /// Builds a threshold from item metadata as MSBuild gives it (strings, invariant culture). Problems (not a number,
    /// a negative tolerance, minimum above maximum, an unknown direction) are returned for MLG002.
    /// </summary>
    public static MetricThreshold? TryCreate(string metric, string? minimum, string? maximum, string? maxDecrease, string? maxIncrease, string? direction,
        out IReadOnlyList<string> problems)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(metric))
        {
            errors.Add("an MlMetricThreshold has no metric name (Include)");
        }

        var min = Number(minimum, "Minimum", metric, errors, negativeAllowed: true);
        var max = Number(maximum, "Maximum", metric, errors, negativeAllowed: true);
        var dec = Number(maxDecrease, "MaxDecrease", metric, errors, negativeAllowed: false);
        var inc = Number(maxIncrease, "MaxIncrease", metric, errors, negativeAllowed: false);
        var dir = MetricDirection.Unspecified;
        if (!string.IsNullOrWhiteSpace(direction))
        {
            dir = direction.Trim().ToLowerInvariant() switch
            {
                "higher" => MetricDirection.Higher,
                "lower" => MetricDirection.Lower,
                _ => Invalid(errors, $"MlMetricThreshold '{metric}': Direction '{direction}' is neither 'higher' nor 'lower'"),
            };
        }

        if (min > max)
        {
            errors.Add($"MlMetricThreshold '{metric}': Minimum {minimum} is above Maximum {maximum}");
        }

        if (min is null && max is null && dec is null && inc is null && dir == MetricDirection.Unspecified)
        {
            errors.Add($"MlMetricThreshold '{metric}' gates nothing: give Minimum, Maximum, MaxDecrease, MaxIncrease or Direction");
        }

        problems = errors;
        return errors.Count == 0 ? new MetricThreshold(metric.Trim(), min, max, dec, inc, dir) : null;
    }

    private static MetricDirection Invalid(List<string> errors, string message)
    {
        errors.Add(message);
        return MetricDirection.Unspecified;
    }

    private static double? Number(string? text, string what, string metric, List<string> errors, bool negativeAllowed)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (!double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
        {
            errors.Add($"MlMetricThreshold '{metric}': {what} '{text}' is not a number");
            return null;
        }

        if (!negativeAllowed && value < 0)
        {
            errors.Add($"MlMetricThreshold '{metric}': {what} {text} is negative (tolerances are absolute amounts)");
            return null;
        }

        return value;
    }
}
