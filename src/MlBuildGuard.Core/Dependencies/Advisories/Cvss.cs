namespace MlBuildGuard.Core.Dependencies.Advisories;

/// <summary>The CVSS v3.0/v3.1 base score of a vector string (FIRST specification, §7.1), for OSV entries that give only a vector.</summary>
public static class Cvss
{
    public static double? BaseScoreV3(string vector)
    {
        var parts = vector.Split('/');
        if (parts.Length < 9 || !parts[0].StartsWith("CVSS:3.", StringComparison.Ordinal))
        {
            return null;
        }

        var m = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in parts.Skip(1))
        {
            var kv = part.Split(':');
            if (kv.Length != 2)
            {
                return null;
            }

            m[kv[0]] = kv[1];
        }

        double? Get(string metric, params (string Value, double Weight)[] table) =>
            m.TryGetValue(metric, out var v) && table.FirstOrDefault(t => t.Value == v) is { Value: not null } hit ? hit.Weight : null;

        var scopeChanged = m.TryGetValue("S", out var s) ? s == "C" : (bool?)null;
        var av = Get("AV", ("N", 0.85), ("A", 0.62), ("L", 0.55), ("P", 0.2));
        var ac = Get("AC", ("L", 0.77), ("H", 0.44));
        var pr = scopeChanged == true ? Get("PR", ("N", 0.85), ("L", 0.68), ("H", 0.5)) : Get("PR", ("N", 0.85), ("L", 0.62), ("H", 0.27));
        var ui = Get("UI", ("N", 0.85), ("R", 0.62));
        var c = Get("C", ("H", 0.56), ("L", 0.22), ("N", 0));
        var i = Get("I", ("H", 0.56), ("L", 0.22), ("N", 0));
        var a = Get("A", ("H", 0.56), ("L", 0.22), ("N", 0));
        if (scopeChanged is null || av is null || ac is null || pr is null || ui is null || c is null || i is null || a is null)
        {
            return null;
        }

        var iss = 1 - ((1 - c.Value) * (1 - i.Value) * (1 - a.Value));
        var impact = scopeChanged.Value ? (7.52 * (iss - 0.029)) - (3.25 * Math.Pow(iss - 0.02, 15)) : 6.42 * iss;
        var exploitability = 8.22 * av.Value * ac.Value * pr.Value * ui.Value;
        if (impact <= 0)
        {
            return 0;
        }

        return scopeChanged.Value ? RoundUp(Math.Min(1.08 * (impact + exploitability), 10)) : RoundUp(Math.Min(impact + exploitability, 10));
    }

    /// <summary>CVSS v3.1 Appendix A "Roundup": the smallest number with one decimal that is at least the input.</summary>
    private static double RoundUp(double value)
    {
        var integer = (long)Math.Round(value * 100000);
        return integer % 10000 == 0 ? integer / 100000.0 : (Math.Floor(integer / 10000.0) + 1) / 10.0;
    }
}
