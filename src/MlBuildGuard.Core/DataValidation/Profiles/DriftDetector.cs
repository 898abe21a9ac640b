namespace MlBuildGuard.Core.DataValidation;

/// <summary>One column's drift against its locked profile.</summary>
/// <param name="Statistic">"PSI", "Jensen–Shannon" or "L-infinity".</param>
public sealed record ColumnDrift(string Column, string Statistic, double Value, double Threshold)
{
    public bool Exceeds => Value > Threshold;
}

/// <summary>
/// Compares a new profile with the locked one, column by column: numbers by the Population Stability Index over the
/// locked histogram's bins, categories by the Jensen–Shannon divergence (log base 2, so 0 to 1) of their frequencies
/// and optionally their L-infinity distance. Empty bins count as <see cref="Epsilon"/> so PSI stays finite.
/// </summary>
public static class DriftDetector
{
    public const double Epsilon = 1e-4;

    public static IReadOnlyList<ColumnDrift> Compare(DataProfile locked, DataProfile current, DriftThresholds thresholds)
    {
        var drifts = new List<ColumnDrift>();
        foreach (var (name, then) in locked.Columns)
        {
            if (!current.Columns.TryGetValue(name, out var now) || then.Kind != now.Kind)
            {
                continue; // the column set is MLG701's business
            }

            if (then.Kind == ColumnKinds.Numeric && then.Histogram is { } a && now.Histogram is { } b && a.Edges.SequenceEqual(b.Edges))
            {
                drifts.Add(new ColumnDrift(name, "PSI", ColumnProfiler.Round(Psi(a.Fractions, b.Fractions)), thresholds.Psi));
            }
            else if (then.Kind == ColumnKinds.Categorical && then.Categories is not null && now.Categories is not null)
            {
                var (p, q) = Align(then, now);
                drifts.Add(new ColumnDrift(name, "Jensen–Shannon", ColumnProfiler.Round(JensenShannon(p, q)), thresholds.JensenShannon));
                if (thresholds.LInfinity is { } linf)
                {
                    drifts.Add(new ColumnDrift(name, "L-infinity", ColumnProfiler.Round(p.Zip(q, (x, y) => Math.Abs(x - y)).Max()), linf));
                }
            }
        }

        return drifts;
    }

    public static double Psi(IReadOnlyList<double> expected, IReadOnlyList<double> actual)
    {
        var psi = 0.0;
        for (var i = 0; i < expected.Count; i++)
        {
            var e = Math.Max(expected[i], Epsilon);
            var a = Math.Max(actual[i], Epsilon);
            psi += (a - e) * Math.Log(a / e);
        }

        return psi;
    }

    public static double JensenShannon(IReadOnlyList<double> p, IReadOnlyList<double> q)
    {
        var js = 0.0;
        for (var i = 0; i < p.Count; i++)
        {
            var m = (p[i] + q[i]) / 2;
            if (p[i] > 0)
            {
                js += 0.5 * p[i] * Math.Log2(p[i] / m);
            }

            if (q[i] > 0)
            {
                js += 0.5 * q[i] * Math.Log2(q[i] / m);
            }
        }

        return Math.Clamp(js, 0, 1);
    }

    /// <summary>Both distributions over the union of listed categories plus "other", normalised to sum to 1.</summary>
    private static (double[] P, double[] Q) Align(ColumnProfile then, ColumnProfile now)
    {
        var keys = then.Categories!.Keys.Union(now.Categories!.Keys).ToArray();
        var p = new double[keys.Length + 1];
        var q = new double[keys.Length + 1];
        for (var i = 0; i < keys.Length; i++)
        {
            p[i] = then.Categories.GetValueOrDefault(keys[i]);
            q[i] = now.Categories.GetValueOrDefault(keys[i]);
        }

        p[^1] = then.Other ?? 0;
        q[^1] = now.Other ?? 0;
        Normalise(p);
        Normalise(q);
        return (p, q);
    }

    private static void Normalise(double[] v)
    {
        var sum = v.Sum();
        if (sum > 0)
        {
            for (var i = 0; i < v.Length; i++)
            {
                v[i] /= sum;
            }
        }
    }
}
