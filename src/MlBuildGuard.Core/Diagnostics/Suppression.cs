using System.Globalization;
using System.IO.Enumeration;

namespace MlBuildGuard.Core.Diagnostics;

/// <summary>
/// A user's decision to accept one rule for one subject (an <c>MlGuardSuppression</c> item): the code, the subject (a
/// package id, a project-relative path or a glob of them), why, and until when.
/// </summary>
public sealed record Suppression(string Code, string Subject, string Justification, DateOnly Expires, SourceLocation? DeclaredAt = null)
{
    public bool IsExpired(DateOnly today) => today > Expires;

    public bool Matches(Finding finding)
    {
        if (!string.Equals(finding.Code, Code, StringComparison.Ordinal) || finding.Subject is null)
        {
            return false;
        }

        var subject = Normalize(finding.Subject);
        var pattern = Normalize(Subject);
        var ignoreCase = finding.SubjectKind == SubjectKind.Package;
        return pattern.Length > 0 && (FileSystemName.MatchesSimpleExpression(pattern, subject, ignoreCase)
            || string.Equals(pattern, subject, ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal));
    }

    private static string Normalize(string s)
    {
        s = s.Trim().Replace('\\', '/');
        return s.StartsWith("./", StringComparison.Ordinal) ? s[2..] : s;
    }
}

/// <summary>The raw fields of a suppression as the user wrote them, before validation.</summary>
public sealed record SuppressionDeclaration(string Code, string? Subject, string? Justification, string? Expires, SourceLocation? DeclaredAt = null);

/// <summary>
/// The validated suppressions of a project. Invalid declarations (unknown code, no subject, no justification, no or a
/// malformed expiry) are <c>MLG002</c>; expired ones are <c>MLG003</c>. Neither kind suppresses anything: a broken or
/// stale suppression must never silently hide a finding.
/// </summary>
public sealed class SuppressionSet
{
    private readonly List<Suppression> _active = new();
    private readonly List<Suppression> _expired = new();

    public static SuppressionSet Empty { get; } = new();

    public IReadOnlyList<Suppression> Active => _active;

    public IReadOnlyList<Suppression> Expired => _expired;

    /// <summary>Validates the declarations; <paramref name="problems"/> receives MLG002 and MLG003 findings.</summary>
    public static SuppressionSet Parse(IEnumerable<SuppressionDeclaration> declarations, DateOnly today, List<Finding> problems)
    {
        var set = new SuppressionSet();
        foreach (var d in declarations)
        {
            var rule = RuleCatalog.Find(d.Code);
            var code = rule?.Code ?? d.Code.Trim();
            string? error = null;
            if (rule is null)
            {
                error = $"MlGuardSuppression '{code}' does not name a rule code of this MlBuildGuard version";
            }
            else if (!rule.Suppressible)
            {
                error = $"MlGuardSuppression '{code}': {code} cannot be suppressed (MlBuildGuard's own configuration and failure codes must stay visible; a warning can still be silenced with NoWarn)";
            }
            else if (string.IsNullOrWhiteSpace(d.Subject))
            {
                error = $"MlGuardSuppression '{code}' has no Subject (the package id, path or glob it applies to)";
            }
            else if (string.IsNullOrWhiteSpace(d.Justification))
            {
                error = $"MlGuardSuppression '{code}' for '{d.Subject}' has no Justification";
            }
            else if (string.IsNullOrWhiteSpace(d.Expires))
            {
                error = $"MlGuardSuppression '{code}' for '{d.Subject}' has no Expires date (yyyy-MM-dd)";
            }

            DateOnly expires = default;
            if (error is null && !DateOnly.TryParseExact(d.Expires!.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out expires))
            {
                error = $"MlGuardSuppression '{code}' for '{d.Subject}' has Expires '{d.Expires}', which is not a date in the form yyyy-MM-dd";
            }

            if (error is not null)
            {
                problems.Add(Finding.Create(RuleCatalog.InvalidConfiguration, d.DeclaredAt, code, error));
                continue;
            }

            var suppression = new Suppression(code, d.Subject!.Trim(), d.Justification!.Trim(), expires, d.DeclaredAt);
            if (suppression.IsExpired(today))
            {
                set._expired.Add(suppression);
                problems.Add(Finding.Create(RuleCatalog.SuppressionExpired, d.DeclaredAt, suppression.Subject,
                    code, suppression.Subject, suppression.Expires, suppression.Justification));
            }
            else
            {
                set._active.Add(suppression);
            }
        }

        return set;
    }

    /// <summary>Marks each finding that an active suppression matches; rules that are not suppressible never are.</summary>
    public IReadOnlyList<Finding> Apply(IEnumerable<Finding> findings)
    {
        var result = new List<Finding>();
        foreach (var f in findings)
        {
            var by = f.Rule.Suppressible ? _active.FirstOrDefault(s => s.Matches(f)) : null;
            result.Add(by is null ? f : f with { SuppressedBy = by });
        }

        return result;
    }
}
