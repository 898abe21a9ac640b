using System.Text.RegularExpressions;
using MlBuildGuard.Core.Secrets.Engine;

namespace MlBuildGuard.Core.Secrets;

/// <summary>What a rule finds, which decides the code it is reported under.</summary>
public enum SecretKind
{
    /// <summary>A credential or token (MLG801).</summary>
    Credential,

    /// <summary>A PEM private key block (MLG606, as before the secret engine existed).</summary>
    PrivateKey,
}

/// <summary>
/// One secret rule, built in or read from a gitleaks-format TOML file. A rule is looked for only around its keywords
/// (case-insensitive unless a built-in keyword says otherwise): the regex runs on the bytes from <see cref="Before"/>
/// bytes before a keyword to <see cref="After"/> bytes after it, decoded one byte per character (Latin-1), so positions
/// are byte positions and non-ASCII bytes never match an ASCII class. Every regex runs with
/// <see cref="RegexOptions.NonBacktracking"/>: its time is linear in the window whatever the input. Only the groups of
/// a match it found are read by the backtracking interpreter, on the match's characters, under a time limit
/// (<see cref="CapturePattern"/>).
/// </summary>
/// <summary>See <see cref="SecretRule.MayStartAt"/>.</summary>
public delegate bool AnchorCheck(ReadOnlySpan<byte> fromKeyword);

public sealed class SecretRule
{
    /// <summary>Default reach of a user rule around its keyword.</summary>
    public const int DefaultBefore = 256;

    /// <inheritdoc cref="DefaultBefore"/>
    public const int DefaultAfter = 1024;

    public required string Id { get; init; }

    public required string Description { get; init; }

    public SecretKind Kind { get; init; } = SecretKind.Credential;

    private Lazy<Regex>? _pattern;
    private Lazy<Regex>? _context;

    /// <summary>The pattern; null for a path-only rule (gitleaks: a rule with <c>path</c> and no <c>regex</c> reports the file).</summary>
    public Regex? Pattern
    {
        get => _pattern?.Value;
        init => _pattern = value is null ? null : new Lazy<Regex>(value);
    }

    /// <summary>
    /// Builds the pattern on first use instead: a non-backtracking regex costs milliseconds to construct, and a scan of
    /// data without any keyword of a rule never needs that rule's regex.
    /// </summary>
    public Func<Regex> PatternFactory
    {
        init => _pattern = new Lazy<Regex>(value);
    }

    /// <summary>
    /// The same pattern run by .NET's backtracking interpreter, with a time limit: it reads the groups of a match that
    /// <see cref="Pattern"/> found, on the match's own characters only. The non-backtracking engine's pass over captures
    /// costs tens of microseconds per match for patterns with counted repetitions (<c>{86}</c>, <c>{3,128}</c>); the
    /// interpreter takes one or two on the same characters. Both engines give a pattern the same meaning (the
    /// non-backtracking engine only refuses constructs that need backtracking), and the scanner checks that the
    /// interpreter found the very same match before it uses the groups.
    /// </summary>
    internal Regex CapturePattern => _captures ??= new Regex(Pattern!.ToString(), Pattern.Options & ~RegexOptions.NonBacktracking, CaptureTimeLimit);

    /// <summary>How long the interpreter may take to read the groups of one match before the scanner leaves it for the pattern itself.</summary>
    internal static readonly TimeSpan CaptureTimeLimit = TimeSpan.FromMilliseconds(50);

    private Regex? _captures;

    /// <summary>Whether the rule has a pattern (false for a path-only rule), without building it.</summary>
    public bool HasPattern => _pattern is not null;

    /// <summary>The capture group that holds the secret; 0 = the first non-empty group, or the whole match without groups.</summary>
    public int SecretGroup { get; init; }

    /// <summary>Minimum Shannon entropy (bits per character) of the secret; 0 = none.</summary>
    public double Entropy { get; init; }

    /// <summary>Prefilter keywords; none = the regex runs over every byte (slow; only user rules may do that).</summary>
    public IReadOnlyList<Keyword> Keywords { get; init; } = [];

    /// <summary>Only files whose path (project-relative, '/' separators) matches; null = every file.</summary>
    public Regex? PathPattern { get; init; }

    public IReadOnlyList<SecretAllowlist> Allowlists { get; init; } = [];

    /// <summary>How far before a keyword a match may start.</summary>
    public int Before { get; init; } = DefaultBefore;

    /// <summary>How far after a keyword's start a match may end.</summary>
    public int After { get; init; } = DefaultAfter;

    /// <summary>
    /// Characters of which four may not directly precede or follow the match (a key is not the middle of a longer token);
    /// null = no check. Built-in rules use it where gitleaks' patterns use <c>\b</c>, which .NET would apply to Latin-1
    /// letters too, and which would miss strings in binary formats followed by an opcode or tag that is a letter.
    /// </summary>
    public System.Buffers.SearchValues<char>? TokenCharacters { get; init; }

    /// <summary>
    /// Keywords (exact, as in <see cref="Keywords"/>) that are the first bytes of every match in which they occur at its
    /// start: the regex can only begin a match at such a keyword, so a hit of one preceded by four
    /// <see cref="TokenCharacters"/> (the middle of a base64 blob) can only give a match that the token check rejects,
    /// and the scanner skips its regex window. Empty = every hit gets its window.
    /// </summary>
    public IReadOnlyList<string> LeadingKeywords { get; init; } = [];

    /// <summary>
    /// For a hit of one of <see cref="LeadingKeywords"/>: given the bytes from the keyword on (as many as are at hand),
    /// false only when no match can start there (the bytes the pattern needs right after the keyword are not there);
    /// true when one can, or when the bytes at hand end before that is known. Null = no check. A hit it rules out gets
    /// no regex window of its own.
    /// </summary>
    public AnchorCheck? MayStartAt { get; init; }

    /// <summary>Something that must also appear near the match (e.g. another connection-string key); null = nothing.</summary>
    public Regex? Context => _context?.Value;

    /// <summary>Builds <see cref="Context"/> on first use.</summary>
    public Func<Regex> ContextFactory
    {
        init => _context = new Lazy<Regex>(value);
    }

    /// <summary>How far around the match <see cref="Context"/> is looked for.</summary>
    public int ContextReach { get; init; } = 256;

    /// <summary>A last check of the secret's content (a JWT header that decodes, a placeholder that is not a password).</summary>
    public Func<string, bool>? Validate { get; init; }

    /// <summary>Whether findings point at the start of the whole match (a PEM header) rather than at the secret in it.</summary>
    public bool ReportAtMatch { get; init; }

    /// <summary>Turns the captured text into the value that is fingerprinted (e.g. a PEM body without line breaks).</summary>
    public Func<string, string>? Normalize { get; init; }

    /// <summary>Whether the rule applies to a file at <paramref name="path"/> (null: a text with no path, always).</summary>
    public bool AppliesTo(string? path) =>
        path is null || ((PathPattern is null || PathPattern.IsMatch(path)) && !Allowlists.Any(a => a.AllowsPathAlone(path)));

    public override string ToString() => Id;
}

/// <summary>What an allowlist's <c>regexes</c> are matched against (gitleaks' <c>regexTarget</c>).</summary>
public enum AllowlistTarget
{
    Secret,
    Match,
    Line,
}

/// <summary>
/// A gitleaks allowlist: a finding is dropped when its secret (or match, or line) matches one of <see cref="Regexes"/>,
/// contains one of <see cref="Stopwords"/>, or its file matches one of <see cref="Paths"/>. With <see cref="RequireAll"/>
/// (gitleaks' <c>condition = "AND"</c>) every kind of criterion that is given must hold.
/// </summary>
public sealed class SecretAllowlist
{
    public string? Description { get; init; }

    public IReadOnlyList<Regex> Regexes { get; init; } = [];

    public AllowlistTarget RegexTarget { get; init; } = AllowlistTarget.Secret;

    public IReadOnlyList<string> Stopwords { get; init; } = [];

    public IReadOnlyList<Regex> Paths { get; init; } = [];

    public bool RequireAll { get; init; }

    /// <summary>For a global allowlist: only these rule ids (gitleaks' <c>targetRules</c>); empty = all rules.</summary>
    public IReadOnlyList<string> TargetRules { get; init; } = [];

    public bool Targets(string ruleId) => TargetRules.Count == 0 || TargetRules.Contains(ruleId, StringComparer.Ordinal);

    /// <summary>Whether the path alone allows everything in the file (only when paths are the sole or a sufficient criterion).</summary>
    public bool AllowsPathAlone(string path)
    {
        if (Paths.Count == 0 || !Paths.Any(p => p.IsMatch(path)))
        {
            return false;
        }

        return !RequireAll || (Regexes.Count == 0 && Stopwords.Count == 0);
    }

    public bool Allows(string? path, string secret, string match, string line)
    {
        var checks = new List<bool>(3);
        if (Paths.Count > 0)
        {
            checks.Add(path is not null && Paths.Any(p => p.IsMatch(path)));
        }

        if (Regexes.Count > 0)
        {
            var target = RegexTarget switch { AllowlistTarget.Match => match, AllowlistTarget.Line => line, _ => secret };
            checks.Add(Regexes.Any(r => r.IsMatch(target)));
        }

        if (Stopwords.Count > 0)
        {
            checks.Add(Stopwords.Any(w => secret.Contains(w, StringComparison.OrdinalIgnoreCase)));
        }

        return checks.Count > 0 && (RequireAll ? checks.All(c => c) : checks.Any(c => c));
    }
}
