namespace MlBuildGuard.Core.Diagnostics;

/// <summary>A place in a file a finding is about. Line and column are 1-based; 0 means unknown.</summary>
public sealed record SourceLocation(string FilePath, int Line = 0, int Column = 0)
{
    public override string ToString() =>
        Line > 0 ? (Column > 0 ? $"{FilePath}({Line},{Column})" : $"{FilePath}({Line})") : FilePath;
}

/// <summary>What kind of thing a finding's subject names; suppressions match paths case-sensitively, package ids not.</summary>
public enum SubjectKind
{
    Path,
    Package,
}

/// <summary>
/// One result of a guard: the rule, the final severity, the message, where it points, and the subject a suppression can
/// name (a project-relative path with '/' separators, or a package id).
/// </summary>
public sealed record Finding(Rule Rule, Severity Severity, string Message, SourceLocation? Location, string? Subject, SubjectKind SubjectKind = SubjectKind.Path)
{
    /// <summary>Set when a valid suppression matched: the finding is then reported as a message, never as a failure.</summary>
    public Suppression? SuppressedBy { get; init; }

    public string Code => Rule.Code;

    public static Finding Create(Rule rule, SourceLocation? location, string? subject, params object?[] args) =>
        new(rule, rule.DefaultSeverity, rule.FormatMessage(args), location, subject);

    public Finding WithSeverity(Severity severity) => this with { Severity = severity };

    /// <summary>The MSBuild canonical form: <c>PATH(LINE,COL): error MLG402: message</c>.</summary>
    public string ToCanonicalString()
    {
        var kind = SuppressedBy is not null ? "info" : Severity switch
        {
            Severity.Error => "error",
            Severity.Warning => "warning",
            _ => "info",
        };
        var origin = Location?.ToString() ?? "MlBuildGuard";
        return $"{origin}: {kind} {Code}: {Message}";
    }
}
