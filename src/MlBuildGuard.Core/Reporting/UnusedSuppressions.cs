using MlBuildGuard.Core.Diagnostics;

namespace MlBuildGuard.Core.Reporting;

/// <summary>
/// MLG005: the active suppressions that matched no finding of the build (SPEC §5). Such a suppression is either stale
/// (the finding is gone) or names its subject differently from the finding, and would otherwise be ignored without a word.
/// The findings are those every guard of the build recorded (<see cref="FindingStore"/>); a record says which suppression
/// matched it.
/// </summary>
public static class UnusedSuppressions
{
    private const int SubjectsShown = 3;

    public static IReadOnlyList<Finding> Find(IEnumerable<Suppression> active, IReadOnlyList<FindingRecord> records, SourceLocation? location)
    {
        var used = records
            .Where(r => r.SuppressionSubject is not null)
            .Select(r => (Code: r.Code.ToUpperInvariant(), Subject: r.SuppressionSubject!))
            .ToHashSet();
        var findings = new List<Finding>();
        foreach (var s in active)
        {
            if (used.Contains((s.Code.ToUpperInvariant(), s.Subject)))
            {
                continue;
            }

            var sameCode = records
                .Where(r => string.Equals(r.Code, s.Code, StringComparison.OrdinalIgnoreCase) && r.Subject is not null)
                .Select(r => r.Subject!)
                .Distinct(StringComparer.Ordinal)
                .Order(StringComparer.Ordinal)
                .ToList();
            var remedy = sameCode.Count == 0
                ? $"No {s.Code} finding was reported: if the problem is fixed, remove the suppression."
                : $"This build's {s.Code} findings are about {string.Join(", ", sameCode.Take(SubjectsShown).Select(x => $"'{x}'"))}"
                  + (sameCode.Count > SubjectsShown ? $" and {sameCode.Count - SubjectsShown} more" : "")
                  + ": set Subject to the one meant, exactly as the message starts (a project-relative path with '/', or a package id).";
            findings.Add(Finding.Create(RuleCatalog.SuppressionUnused, s.DeclaredAt ?? location, $"{s.Code}:{s.Subject}", s.Code, s.Subject, remedy));
        }

        return findings;
    }
}
