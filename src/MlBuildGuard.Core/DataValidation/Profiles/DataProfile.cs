namespace MlBuildGuard.Core.DataValidation;

/// <summary>
/// The profile of one training input, as locked in <c>dataProfiles</c> (SPEC §4): its row count and, per schema field,
/// the share of nulls and either numeric statistics with a histogram, or category frequencies.
/// </summary>
public sealed record DataProfile(long Rows, SortedDictionary<string, ColumnProfile> Columns)
{
    public bool ContentEquals(DataProfile other) =>
        Rows == other.Rows && Columns.Count == other.Columns.Count
        && Columns.All(c => other.Columns.TryGetValue(c.Key, out var o) && c.Value.ContentEquals(o));
}

public static class ColumnKinds
{
    /// <summary>Numbers: min, max, mean, standard deviation, histogram; drift by PSI.</summary>
    public const string Numeric = "numeric";

    /// <summary>Few distinct values: their frequencies; drift by Jensen–Shannon (and L-infinity).</summary>
    public const string Categorical = "categorical";

    /// <summary>Anything else (free text with many distinct values, dates, JSON): only the share of nulls.</summary>
    public const string Other = "other";
}

/// <summary>One column's statistics. Fractions are of all rows (nulls) or of the non-null values (histogram, categories).</summary>
public sealed record ColumnProfile
{
    public required string Kind { get; init; }

    public double NullFraction { get; init; }

    public double? Min { get; init; }

    public double? Max { get; init; }

    public double? Mean { get; init; }

    public double? StdDev { get; init; }

    public Histogram? Histogram { get; init; }

    /// <summary>The most frequent values (at most <see cref="ColumnProfiler.TopCategories"/>) and their shares.</summary>
    public SortedDictionary<string, double>? Categories { get; init; }

    /// <summary>The share of every value not listed in <see cref="Categories"/>.</summary>
    public double? Other { get; init; }

    public bool ContentEquals(ColumnProfile o) =>
        Kind == o.Kind && NullFraction.Equals(o.NullFraction) && Min.Equals(o.Min) && Max.Equals(o.Max) && Mean.Equals(o.Mean)
        && StdDev.Equals(o.StdDev) && Other.Equals(o.Other)
        && (Histogram is null ? o.Histogram is null : o.Histogram is not null && Histogram.Edges.SequenceEqual(o.Histogram.Edges) && Histogram.Fractions.SequenceEqual(o.Histogram.Fractions))
        && (Categories is null ? o.Categories is null : o.Categories is not null && Categories.SequenceEqual(o.Categories));
}

/// <summary>
/// Bin edges and the share of values in each bin: bin i holds values from <c>Edges[i]</c> up to <c>Edges[i+1]</c>; the
/// first bin also holds everything below, the last everything above, so a new version's values always fall in a bin.
/// </summary>
public sealed record Histogram(double[] Edges, double[] Fractions)
{
    public int BinOf(double value)
    {
        // Interior edges only: Edges[1] .. Edges[^2].
        var lo = 0;
        var hi = Fractions.Length - 1;
        while (lo < hi)
        {
            var mid = (lo + hi + 1) / 2;
            if (value >= Edges[mid])
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return lo;
    }
}
