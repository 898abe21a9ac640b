using System.Text.RegularExpressions;
using MlBuildGuard.Core.Secrets.Engine;
using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace MlBuildGuard.Core.Secrets.Rules;

/// <summary>A secret rule file or baseline that cannot be used (MLG803), with the 1-based line and column of the problem (0 = unknown).</summary>
public sealed class SecretConfigurationException(string reason, int line = 0, int column = 0) : Exception(reason)
{
    public string Reason { get; } = reason;

    public int Line { get; } = line;

    public int Column { get; } = column;
}

/// <summary>
/// Reads extra secret rules in gitleaks' TOML format (<c>MlGuardSecretRules</c>) with Tomlyn: <c>[[rules]]</c> with
/// <c>id</c>, <c>description</c>, <c>regex</c>, <c>secretGroup</c>, <c>entropy</c>, <c>keywords</c>, <c>path</c>,
/// <c>tags</c>, and allowlists (<c>[[rules.allowlists]]</c>, the older <c>[rules.allowlist]</c>, and the global
/// <c>[allowlist]</c> / <c>[[allowlists]]</c>) with <c>regexes</c>, <c>regexTarget</c>, <c>stopwords</c>, <c>paths</c>,
/// <c>condition</c>, <c>targetRules</c>. Anything else is refused rather than ignored, so a rule never silently does less
/// than its author meant: every problem is a <see cref="SecretConfigurationException"/> at its line and column.
/// </summary>
public static class GitleaksRuleReader
{
    /// <summary>Larger rule files are refused (gitleaks' whole default set is under 200 KiB).</summary>
    public const int MaxFileBytes = 4 << 20;

    public static UserSecretRules Read(string path)
    {
        string text;
        try
        {
            var info = new FileInfo(path);
            if (info.Exists && info.Length > MaxFileBytes)
            {
                throw new SecretConfigurationException($"the file is larger than {MaxFileBytes >> 20} MiB");
            }

            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SecretConfigurationException("it cannot be read: " + e.Message);
        }

        return Parse(text);
    }

    public static UserSecretRules Parse(string text)
    {
        DocumentSyntax document;
        try
        {
            document = SyntaxParser.Parse(text, "rules.toml", true);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new SecretConfigurationException("it is not valid TOML: " + e.Message);
        }

        if (document.Diagnostics.FirstOrDefault(d => d.Kind == DiagnosticMessageKind.Error) is { } error)
        {
            throw At(error.Span, "it is not valid TOML: " + error.Message);
        }

        var rules = new List<RuleBuilder>();
        var global = new List<SecretAllowlist>();
        foreach (var item in document.KeyValues)
        {
            var key = KeyOf(item);
            if (key is not ("title" or "description" or "minVersion"))
            {
                throw At(item.Span, $"the top-level key '{key}' is not supported (only [[rules]], [allowlist], [[allowlists]], [extend] and title)");
            }

            _ = Text(item);
        }

        foreach (var table in document.Tables)
        {
            var name = NameOf(table.Name);
            var isArray = table is TableArraySyntax;
            switch (name, isArray)
            {
                case ("rules", true):
                    rules.Add(ReadRule(table));
                    break;
                case ("rules.allowlists", true):
                case ("rules.allowlist", false):
                    if (rules.Count == 0)
                    {
                        throw At(table.Span, $"[{(isArray ? "[" : string.Empty)}{name}{(isArray ? "]" : string.Empty)}] comes before any [[rules]]");
                    }

                    rules[^1].Allowlists.Add(ReadAllowlist(table, isGlobal: false));
                    break;
                case ("allowlist", false):
                case ("allowlists", true):
                    global.Add(ReadAllowlist(table, isGlobal: true));
                    break;
                case ("extend", false):
                    ReadExtend(table);
                    break;
                default:
                    throw At(table.Span, $"the table [{(isArray ? "[" : string.Empty)}{name}{(isArray ? "]" : string.Empty)}] is not supported");
            }
        }

        var ids = new HashSet<string>(BuiltInSecretRules.All.Select(r => r.Id), StringComparer.Ordinal);
        var built = new List<SecretRule>();
        foreach (var rule in rules)
        {
            if (!ids.Add(rule.Id!))
            {
                throw At(rule.Span, BuiltInSecretRules.All.Any(r => r.Id == rule.Id)
                    ? $"rule '{rule.Id}' has the id of a built-in rule; give it another id"
                    : $"the rule id '{rule.Id}' is used twice");
            }

            built.Add(rule.Build());
        }

        return new UserSecretRules { Rules = built, GlobalAllowlists = global };
    }

    private static RuleBuilder ReadRule(TableSyntaxBase table)
    {
        var rule = new RuleBuilder { Span = table.Span };
        foreach (var item in table.Items)
        {
            var key = KeyOf(item);
            switch (key)
            {
                case "id":
                    rule.Id = Text(item);
                    if (string.IsNullOrWhiteSpace(rule.Id))
                    {
                        throw At(item.Value!.Span, "a rule id must not be empty");
                    }

                    break;
                case "description":
                    rule.Description = Text(item);
                    break;
                case "regex":
                    rule.RegexText = Text(item);
                    rule.RegexSpan = item.Value!.Span;
                    break;
                case "secretGroup":
                    var group = Integer(item);
                    rule.SecretGroup = group is >= 0 and <= 99 ? (int)group : throw At(item.Value!.Span, "secretGroup must be a group number from 0 to 99");
                    break;
                case "entropy":
                    rule.Entropy = Number(item) is var e and >= 0 and <= 8 ? e : throw At(item.Value!.Span, "entropy must be a number from 0 to 8 (bits per character)");
                    break;
                case "keywords":
                    foreach (var (word, span) in Strings(item))
                    {
                        if (word.Length == 0 || word.Any(c => c > 0x7F))
                        {
                            throw At(span, $"the keyword '{word}' must be non-empty ASCII");
                        }

                        rule.Keywords.Add(new Keyword(word.ToLowerInvariant(), IgnoreCase: true));
                    }

                    break;
                case "path":
                    rule.Path = CompileAt(Text(item), item.Value!.Span, "path");
                    break;
                case "tags":
                    _ = Strings(item).ToList();
                    break;
                default:
                    throw At(item.Span, $"the rule key '{key}' is not supported");
            }
        }

        if (rule.Id is null)
        {
            throw At(table.Span, "a [[rules]] entry has no id");
        }

        if (rule.RegexText is null && rule.Path is null)
        {
            throw At(table.Span, $"rule '{rule.Id}' has neither a regex nor a path");
        }

        if (rule.RegexText is not null)
        {
            rule.Regex = GoRegex.TryCompile(rule.RegexText, out var error)
                ?? throw At(rule.RegexSpan!.Value, $"the regex of rule '{rule.Id}' cannot be used: {error}");
        }

        return rule;
    }

    private static SecretAllowlist ReadAllowlist(TableSyntaxBase table, bool isGlobal)
    {
        var regexes = new List<Regex>();
        var stopwords = new List<string>();
        var paths = new List<Regex>();
        var targets = new List<string>();
        var target = AllowlistTarget.Secret;
        var requireAll = false;
        string? description = null;
        foreach (var item in table.Items)
        {
            var key = KeyOf(item);
            switch (key)
            {
                case "description":
                    description = Text(item);
                    break;
                case "regexes":
                    regexes.AddRange(Strings(item).Select(s => CompileAt(s.Value, s.Span, "allowlist regex")));
                    break;
                case "regexTarget":
                    target = Text(item) switch
                    {
                        "secret" or "" => AllowlistTarget.Secret,
                        "match" => AllowlistTarget.Match,
                        "line" => AllowlistTarget.Line,
                        var other => throw At(item.Value!.Span, $"regexTarget '{other}' is not one of secret, match, line"),
                    };
                    break;
                case "stopwords":
                    stopwords.AddRange(Strings(item).Select(s => s.Value));
                    break;
                case "paths":
                    paths.AddRange(Strings(item).Select(s => CompileAt(s.Value, s.Span, "allowlist path")));
                    break;
                case "condition":
                    requireAll = Text(item).ToUpperInvariant() switch
                    {
                        "OR" or "" => false,
                        "AND" => true,
                        var other => throw At(item.Value!.Span, $"condition '{other}' is not OR or AND"),
                    };
                    break;
                case "targetRules" when isGlobal:
                    targets.AddRange(Strings(item).Select(s => s.Value));
                    break;
                case "commits":
                    throw At(item.Span, "commits allowlists are not supported: MlBuildGuard scans files, not Git history");
                default:
                    throw At(item.Span, $"the allowlist key '{key}' is not supported");
            }
        }

        if (regexes.Count == 0 && stopwords.Count == 0 && paths.Count == 0)
        {
            throw At(table.Span, "an allowlist needs regexes, stopwords or paths");
        }

        return new SecretAllowlist
        {
            Description = description, Regexes = regexes, RegexTarget = target, Stopwords = stopwords, Paths = paths,
            RequireAll = requireAll, TargetRules = targets,
        };
    }

    private static void ReadExtend(TableSyntaxBase table)
    {
        foreach (var item in table.Items)
        {
            if (KeyOf(item) != "useDefault")
            {
                throw At(item.Span, $"[extend] '{KeyOf(item)}' is not supported; MlBuildGuard always runs its built-in rules and adds these");
            }

            if (item.Value is not BooleanValueSyntax)
            {
                throw At(item.Value?.Span ?? item.Span, "useDefault must be true or false");
            }
        }
    }

    private static Regex CompileAt(string pattern, SourceSpan span, string what) =>
        GoRegex.TryCompile(pattern, out var error) ?? throw At(span, $"the {what} '{pattern}' cannot be used: {error}");

    private static string KeyOf(KeyValueSyntax item)
    {
        if (item.Key is null)
        {
            throw At(item.Span, "a key is missing");
        }

        if (item.Key.DotKeys.ChildrenCount > 0)
        {
            throw At(item.Span, $"dotted keys such as '{NameOf(item.Key)}' are not supported; use a table");
        }

        return NameOf(item.Key);
    }

    private static string NameOf(KeySyntax? key)
    {
        if (key is null)
        {
            return string.Empty;
        }

        var parts = new List<string> { Part(key.Key) };
        foreach (var dotted in key.DotKeys)
        {
            parts.Add(Part(dotted.Key));
        }

        return string.Join('.', parts);

        static string Part(SyntaxNode? node) => node switch
        {
            BareKeySyntax bare => bare.Key?.Text ?? string.Empty,
            StringValueSyntax quoted => quoted.Value ?? string.Empty,
            _ => node?.ToString()?.Trim() ?? string.Empty,
        };
    }

    private static string Text(KeyValueSyntax item) => item.Value is StringValueSyntax s
        ? s.Value ?? string.Empty
        : throw At(item.Value?.Span ?? item.Span, $"'{NameOf(item.Key)}' must be a string");

    private static long Integer(KeyValueSyntax item) => item.Value is IntegerValueSyntax i
        ? i.Value
        : throw At(item.Value?.Span ?? item.Span, $"'{NameOf(item.Key)}' must be an integer");

    private static double Number(KeyValueSyntax item) => item.Value switch
    {
        FloatValueSyntax f => f.Value,
        IntegerValueSyntax i => i.Value,
        _ => throw At(item.Value?.Span ?? item.Span, $"'{NameOf(item.Key)}' must be a number"),
    };

    private static IEnumerable<(string Value, SourceSpan Span)> Strings(KeyValueSyntax item)
    {
        if (item.Value is not ArraySyntax array)
        {
            throw At(item.Value?.Span ?? item.Span, $"'{NameOf(item.Key)}' must be an array of strings");
        }

        var values = new List<(string, SourceSpan)>();
        foreach (var element in array.Items)
        {
            values.Add(element.Value is StringValueSyntax s
                ? (s.Value ?? string.Empty, s.Span)
                : throw At(element.Span, $"'{NameOf(item.Key)}' must hold only strings"));
        }

        return values;
    }

    private static SecretConfigurationException At(SourceSpan span, string reason) =>
        new(reason, span.Start.Line + 1, span.Start.Column + 1);

    private sealed class RuleBuilder
    {
        public SourceSpan Span { get; init; }

        public string? Id { get; set; }

        public string? Description { get; set; }

        public string? RegexText { get; set; }

        public SourceSpan? RegexSpan { get; set; }

        public Regex? Regex { get; set; }

        public int SecretGroup { get; set; }

        public double Entropy { get; set; }

        public List<Keyword> Keywords { get; } = new();

        public Regex? Path { get; set; }

        public List<SecretAllowlist> Allowlists { get; } = new();

        public SecretRule Build() => new()
        {
            Id = Id!,
            Description = string.IsNullOrWhiteSpace(Description) ? $"a secret (rule '{Id}')" : Description!.Trim(),
            Pattern = Regex,
            SecretGroup = SecretGroup,
            Entropy = Entropy,
            Keywords = Keywords,
            PathPattern = Path,
            Allowlists = Allowlists,
        };
    }
}
