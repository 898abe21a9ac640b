using System.Globalization;
using System.Text;

namespace MlBuildGuard.Core.DataValidation;

/// <summary>
/// What changed between a locked profile and a new one, in lines a reviewer reads beside the digest change of a lock
/// update: rows, nulls, numeric statistics, shifted categories and each column's drift statistic.
/// </summary>
public static class ProfileChangeSummary
{
    /// <summary>Indented lines (without the input's own line); empty when nothing visible changed.</summary>
    public static IReadOnlyList<string> Describe(DataProfile? before, DataProfile after, DriftThresholds thresholds, string indent = "      ")
    {
        var lines = new List<string>();
        if (before is null)
        {
            lines.Add($"{indent}profile: {N(after.Rows)} rows, {after.Columns.Count} column(s)");
            return lines;
        }

        if (before.Rows != after.Rows)
        {
            lines.Add($"{indent}rows {N(before.Rows)} -> {N(after.Rows)} ({Signed(after.Rows - before.Rows)})");
        }

        var drifts = DriftDetector.Compare(before, after, thresholds).ToLookup(d => d.Column);
        foreach (var (name, now) in after.Columns)
        {
            if (!before.Columns.TryGetValue(name, out var then))
            {
                lines.Add($"{indent}{name}: new column");
                continue;
            }

            var parts = new List<string>();
            if (!then.NullFraction.Equals(now.NullFraction))
            {
                parts.Add($"nulls {Percent(then.NullFraction)} -> {Percent(now.NullFraction)}");
            }

            if (now.Kind == ColumnKinds.Numeric)
            {
                Change(parts, "mean", then.Mean, now.Mean);
                Change(parts, "sd", then.StdDev, now.StdDev);
                Change(parts, "min", then.Min, now.Min);
                Change(parts, "max", then.Max, now.Max);
            }
            else if (now.Categories is not null && then.Categories is not null)
            {
                var shifts = then.Categories.Keys.Union(now.Categories.Keys)
                    .Select(k => (Key: k, Then: then.Categories.GetValueOrDefault(k), Now: now.Categories.GetValueOrDefault(k)))
                    .Where(s => Math.Abs(s.Now - s.Then) >= 0.005)
                    .OrderByDescending(s => Math.Abs(s.Now - s.Then)).ThenBy(s => s.Key, StringComparer.Ordinal)
                    .Take(3);
                parts.AddRange(shifts.Select(s => $"{CellExcerpt.Of(s.Key)} {Percent(s.Then)} -> {Percent(s.Now)}"));
            }

            foreach (var drift in drifts[name])
            {
                if (parts.Count > 0 || drift.Value > 0)
                {
                    parts.Add($"{drift.Statistic} {F(drift.Value)}{(drift.Exceeds ? $" (over {F(drift.Threshold)})" : "")}");
                }
            }

            if (parts.Count > 0)
            {
                lines.Add($"{indent}{name}: {string.Join(", ", parts)}");
            }
        }

        foreach (var name in before.Columns.Keys.Where(k => !after.Columns.ContainsKey(k)))
        {
            lines.Add($"{indent}{name}: column removed");
        }

        return lines;
    }

    private static void Change(List<string> parts, string what, double? then, double? now)
    {
        if (!Nullable.Equals(then, now))
        {
            parts.Add($"{what} {F(then)} -> {F(now)}");
        }
    }

    private static string F(double? value) => value is { } v ? v.ToString("G6", CultureInfo.InvariantCulture) : "-";

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Signed(long value) => (value >= 0 ? "+" : "") + N(value);

    private static string Percent(double fraction) => (fraction * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%";
}
