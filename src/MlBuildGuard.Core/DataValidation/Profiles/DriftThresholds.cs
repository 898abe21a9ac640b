using System.Globalization;

namespace MlBuildGuard.Core.DataValidation;

/// <summary>
/// When a column counts as drifted from its locked profile (MLG703). Numbers: Population Stability Index over the locked
/// histogram's bins (0.1 is usually read as a moderate shift, 0.25 as a significant one; the default is 0.25).
/// Categories: Jensen–Shannon divergence with log base 2 (0 to 1; default 0.1) and, when set, the L-infinity distance of
/// the category frequencies (largest change of one category's share; TFDV's categorical statistic; off by default).
/// </summary>
public sealed record DriftThresholds(double Psi, double JensenShannon, double? LInfinity)
{
    public static DriftThresholds Default { get; } = new(0.25, 0.1, null);

    /// <summary>
    /// Reads <c>MaxDrift</c> metadata: a bare number sets both the PSI and the Jensen–Shannon threshold;
    /// <c>psi=0.1;js=0.05;linf=0.2</c> sets them one by one (unnamed ones keep <paramref name="fallback"/>'s).
    /// </summary>
    public static bool TryParse(string text, DriftThresholds fallback, out DriftThresholds thresholds, out string? error)
    {
        thresholds = fallback;
        error = null;
        text = text.Trim();
        if (TryNumber(text, out var both))
        {
            thresholds = fallback with { Psi = both, JensenShannon = both };
            return true;
        }

        foreach (var part in text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=');
            if (eq <= 0 || !TryNumber(part[(eq + 1)..].Trim(), out var value))
            {
                error = $"'{part}' is not NAME=NUMBER (psi, js or linf, with a non-negative number)";
                return false;
            }

            switch (part[..eq].Trim().ToLowerInvariant())
            {
                case "psi":
                    thresholds = thresholds with { Psi = value };
                    break;
                case "js":
                    thresholds = thresholds with { JensenShannon = value };
                    break;
                case "linf":
                    thresholds = thresholds with { LInfinity = value };
                    break;
                default:
                    error = $"'{part[..eq].Trim()}' is not a drift statistic (psi, js, linf)";
                    return false;
            }
        }

        return true;
    }

    private static bool TryNumber(string text, out double value) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value) && value >= 0;
}
