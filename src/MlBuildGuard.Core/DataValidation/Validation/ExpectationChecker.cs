using System.Globalization;
using MlBuildGuard.Core.Diagnostics;

namespace MlBuildGuard.Core.DataValidation;

/// <summary>The table-level expectations of a schema's <c>mlguard</c> key, checked once every row was read (MLG702).</summary>
internal static class ExpectationChecker
{
    public static IEnumerable<Finding> Check(TableSchema schema, long rows, IReadOnlyList<(string Field, long Nulls, LabelCounter? Labels)> fields,
        string file, string subject)
    {
        var e = schema.Expectations;
        var at = new SourceLocation(file);
        if (e.MinRows is { } min && rows < min)
        {
            yield return Fail(at, subject, "mlguard.minRows", $"it has {N(rows)} row(s), fewer than {N(min)}");
        }

        if (e.MaxRows is { } max && rows > max)
        {
            yield return Fail(at, subject, "mlguard.maxRows", $"it has {N(rows)} row(s), more than {N(max)}");
        }

        foreach (var (field, nulls, labels) in fields)
        {
            if (e.MaxNullFractionOf(field) is { } limit && rows > 0 && (double)nulls / rows > limit)
            {
                yield return Fail(at, subject, $"mlguard.maxNullFraction.{field}",
                    $"{N(nulls)} of {N(rows)} values of '{field}' are missing ({P((double)nulls / rows)}), more than {P(limit)}");
            }

            if (labels is null || e.Labels is not { } expectation)
            {
                continue;
            }

            if (labels.Overflowed)
            {
                yield return Fail(at, subject, "mlguard.labels", $"'{field}' has more than {LabelCounter.MaxLabels} distinct values, too many for a label");
                continue;
            }

            var total = labels.Counts.Values.Sum();
            var values = expectation.Values ?? labels.Counts.Keys.Order(StringComparer.Ordinal).ToList();
            var rare = values
                .Select(v => (Value: v, Share: total == 0 ? 0 : (double)labels.Counts.GetValueOrDefault(v) / total))
                .Where(v => v.Share < expectation.MinShare)
                .ToList();
            if (rare.Count > 0)
            {
                yield return Fail(at, subject, "mlguard.labels",
                    $"label(s) of '{field}' below the minimum share {P(expectation.MinShare)}: {string.Join(", ", rare.Take(10).Select(r => $"{CellExcerpt.Of(r.Value)} {P(r.Share)}"))}");
            }
        }
    }

    private static Finding Fail(SourceLocation at, string subject, string expectation, string detail) =>
        Finding.Create(RuleCatalog.DataExpectationFailed, at, subject, subject, expectation, detail);

    private static string N(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    private static string P(double fraction) => (fraction * 100).ToString("0.##", CultureInfo.InvariantCulture) + "%";
}
