using NuGet.Versioning;

namespace MlBuildGuard.Core.Dependencies.Advisories;

/// <summary>Advisory severity, on NuGet's scale (VulnerabilityInfo 0–3); <see cref="Unknown"/> counts as an error.</summary>
public enum AdvisorySeverity
{
    Unknown = -1,
    Low = 0,
    Moderate = 1,
    High = 2,
    Critical = 3,
}

public static class AdvisorySeverityNames
{
    public static bool TryParse(string? text, out AdvisorySeverity severity)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "low":
                severity = AdvisorySeverity.Low;
                return true;
            case "moderate" or "medium":
                severity = AdvisorySeverity.Moderate;
                return true;
            case "high":
                severity = AdvisorySeverity.High;
                return true;
            case "critical":
                severity = AdvisorySeverity.Critical;
                return true;
            default:
                severity = AdvisorySeverity.Unknown;
                return false;
        }
    }

    public static string Name(this AdvisorySeverity severity) => severity switch
    {
        AdvisorySeverity.Low => "low",
        AdvisorySeverity.Moderate => "moderate",
        AdvisorySeverity.High => "high",
        AdvisorySeverity.Critical => "critical",
        _ => "unknown",
    };

    /// <summary>CVSS base score to the qualitative rating (CVSS v3.1 §5).</summary>
    public static AdvisorySeverity FromCvssScore(double score) => score switch
    {
        >= 9.0 => AdvisorySeverity.Critical,
        >= 7.0 => AdvisorySeverity.High,
        >= 4.0 => AdvisorySeverity.Moderate,
        > 0.0 => AdvisorySeverity.Low,
        _ => AdvisorySeverity.Unknown,
    };
}

/// <summary>One advisory about one package: which versions it affects, how severe, and the first fixed version when known.</summary>
public sealed record Advisory(string Id, string Url, string PackageId, VersionRange Affected, AdvisorySeverity Severity, string? FixedVersion, string Origin);

/// <summary>Advisories by package id (case-insensitive), from any number of sources.</summary>
public sealed class AdvisorySet
{
    private readonly Dictionary<string, List<Advisory>> _byPackage = new(StringComparer.OrdinalIgnoreCase);

    public int Count => _byPackage.Values.Sum(l => l.Count);

    public void Add(Advisory advisory)
    {
        if (!_byPackage.TryGetValue(advisory.PackageId, out var list))
        {
            _byPackage[advisory.PackageId] = list = new List<Advisory>();
        }

        list.Add(advisory);
    }

    public void AddRange(AdvisorySet other)
    {
        foreach (var a in other._byPackage.Values.SelectMany(l => l))
        {
            Add(a);
        }
    }

    /// <summary>The advisories affecting one version; one per advisory URL (the worst severity when sources disagree).</summary>
    public IReadOnlyList<Advisory> Affecting(string packageId, NuGetVersion version) =>
        _byPackage.TryGetValue(packageId, out var list)
            ? list.Where(a => a.Affected.Satisfies(version))
                .GroupBy(a => a.Url, StringComparer.OrdinalIgnoreCase)
                .Select(g => g.OrderByDescending(a => a.Severity).ThenBy(a => a.FixedVersion is null).First())
                .OrderByDescending(a => a.Severity).ThenBy(a => a.Id, StringComparer.Ordinal)
                .ToList()
            : [];
}
