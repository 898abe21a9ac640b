using MlBuildGuard.Core.Diagnostics;

namespace MlBuildGuard.Core.Dependencies;

/// <summary>MLG107 (denied packages) and MLG108 (ids one or two edits from a well-known package).</summary>
internal static class PackagePolicyRules
{
    public static void CheckDenied(DependencyRequest request, PackageGraph graph, List<Finding> findings)
    {
        foreach (var package in graph.Packages)
        {
            foreach (var rule in request.DeniedPackages.Where(r => string.Equals(r.Id.Trim(), package.Id, StringComparison.OrdinalIgnoreCase)))
            {
                if (rule.Versions is not null && !rule.Versions.Satisfies(package.Version))
                {
                    continue;
                }

                var versions = rule.VersionsText is null ? "" : $" (versions {rule.VersionsText})";
                var reason = string.IsNullOrWhiteSpace(rule.Reason) ? "" : $": {rule.Reason.Trim()}";
                var via = graph.PathTo(package.Id) is { } path ? $" (via {path})" : "";
                findings.Add(Finding.Create(RuleCatalog.DeniedPackage, DeclarationLocator.Locate(request, TopLevelId(graph, package.Id)), package.Id,
                    package.Id, package.Version.ToNormalizedString() + via, rule.Id.Trim(), versions, reason) with { SubjectKind = SubjectKind.Package });
            }
        }
    }

    /// <summary>
    /// A package close to a well-known id is suspicious. The well-known ids are the built-in list plus the user's own
    /// <c>MlGuardKnownPackage</c> items, which are protected the same way (a look-alike of the company's package is flagged)
    /// and are never flagged themselves.
    /// </summary>
    public static void CheckTyposquats(DependencyRequest request, PackageGraph graph, List<Finding> findings)
    {
        var known = WellKnownPackages.Ids.Concat(request.KnownPackages.Select(k => k.Trim()).Where(k => k.Length > 0))
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .ToList();
        var vouched = known.ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var package in graph.Packages.DistinctBy(p => p.Id.ToLowerInvariant()))
        {
            if (vouched.Contains(package.Id))
            {
                continue;
            }

            var id = package.Id.ToLowerInvariant();
            var closest = known
                .Select(k => (Known: k, Distance: EditDistance.DamerauLevenshtein(id, k.ToLowerInvariant(), MaxEdits(k))))
                .Where(c => c.Distance > 0 && c.Distance <= MaxEdits(c.Known))
                .OrderBy(c => c.Distance).ThenBy(c => c.Known, StringComparer.Ordinal)
                .FirstOrDefault();
            if (closest.Known is null)
            {
                continue;
            }

            findings.Add(Finding.Create(RuleCatalog.TyposquatPackage, DeclarationLocator.Locate(request, TopLevelId(graph, package.Id)), package.Id,
                package.Id, closest.Distance, closest.Known) with { SubjectKind = SubjectKind.Package });
        }
    }

    /// <summary>Short names collide by chance (xunit/nunit); one edit for them, two for longer ids.</summary>
    private static int MaxEdits(string known) => known.Length <= 8 ? 1 : 2;

    /// <summary>The direct reference that brings a package in (the package itself when direct): its line is what the user edits.</summary>
    private static string TopLevelId(PackageGraph graph, string id) => graph.PathTo(id) is { } path ? path.Split(" -> ")[0].Split(' ')[0] : id;
}

/// <summary>Edit distance with transpositions (optimal string alignment), cut off early beyond a limit.</summary>
public static class EditDistance
{
    public static int DamerauLevenshtein(string a, string b, int limit = int.MaxValue)
    {
        if (Math.Abs(a.Length - b.Length) > limit)
        {
            return limit + 1;
        }

        if (a.Length == 0 || b.Length == 0)
        {
            return Math.Max(a.Length, b.Length);
        }

        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            var rowMin = int.MaxValue;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                var v = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    v = Math.Min(v, d[i - 2, j - 2] + 1);
                }

                d[i, j] = v;
                rowMin = Math.Min(rowMin, v);
            }

            if (rowMin > limit)
            {
                return limit + 1;
            }
        }

        return d[a.Length, b.Length];
    }
}
