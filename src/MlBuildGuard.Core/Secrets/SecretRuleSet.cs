using MlBuildGuard.Core.Secrets.Engine;

namespace MlBuildGuard.Core.Secrets;

/// <summary>
/// Rules ready to scan with: the built-in ones plus a user's, their global allowlists, and one keyword search over every
/// rule's keywords. Immutable and thread-safe: build it once and give it to any number of <see cref="SecretScanner"/>s.
/// </summary>
public sealed class SecretRuleSet
{
    private static readonly Lazy<SecretRuleSet> BuiltInSet = new(() => new SecretRuleSet(BuiltInSecretRules.All));
    private static readonly Lazy<SecretRuleSet> PrivateKeyHeaderSet = new(() => new SecretRuleSet([BuiltInSecretRules.PrivateKeyHeader]));

    private readonly bool _pathDependent; // some rule or global allowlist looks at a file's path
    private readonly bool[] _allActive;

    public SecretRuleSet(IEnumerable<SecretRule> rules, IEnumerable<SecretAllowlist>? globalAllowlists = null)
    {
        Rules = rules.ToArray();
        GlobalAllowlists = globalAllowlists?.ToArray() ?? [];
        var duplicate = Rules.GroupBy(r => r.Id, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"two rules have the id '{duplicate.Key}'", nameof(rules));
        }

        var keywords = new List<Keyword>();
        var index = new Dictionary<(string, bool), int>();
        var rulesOf = new List<List<int>>();
        for (var r = 0; r < Rules.Count; r++)
        {
            foreach (var keyword in Rules[r].Keywords)
            {
                var key = (keyword.IgnoreCase ? keyword.Text.ToLowerInvariant() : keyword.Text, keyword.IgnoreCase);
                if (!index.TryGetValue(key, out var k))
                {
                    index[key] = k = keywords.Count;
                    keywords.Add(keyword);
                    rulesOf.Add([]);
                }

                if (!rulesOf[k].Contains(r))
                {
                    rulesOf[k].Add(r);
                }
            }
        }

        Search = new KeywordSearch(keywords);
        RulesOfKeyword = rulesOf.Select(l => l.ToArray()).ToArray();
        LeadsMatch = rulesOf.Select((l, k) => l.Select(r => !keywords[k].IgnoreCase
            && Rules[r].LeadingKeywords.Contains(keywords[k].Text, StringComparer.Ordinal)).ToArray()).ToArray();
        Unanchored = Enumerable.Range(0, Rules.Count).Where(r => Rules[r].Keywords.Count == 0 && Rules[r].HasPattern).ToArray();
        MaxReach = Rules.Count == 0 ? 0 : Rules.Max(r => r.Before + r.After);
        MaxBefore = Rules.Count == 0 ? 0 : Rules.Max(r => r.Before);
        PathOnly = Enumerable.Range(0, Rules.Count).Where(r => !Rules[r].HasPattern && Rules[r].PathPattern is not null).ToArray();
        _pathDependent = Rules.Any(r => r.PathPattern is not null || r.Allowlists.Any(a => a.Paths.Count > 0))
            || GlobalAllowlists.Any(a => a.TargetRules.Count == 0 && a.Paths.Count > 0);
        _allActive = Enumerable.Repeat(true, Rules.Count).ToArray();
    }

    /// <summary>The built-in rules (docs/secrets.md), shared.</summary>
    public static SecretRuleSet BuiltIn => BuiltInSet.Value;

    /// <summary>Only the PEM private-key header (MLG606), as the training-input hash pass has always looked for it.</summary>
    public static SecretRuleSet PrivateKeyHeaderOnly => PrivateKeyHeaderSet.Value;

    /// <summary>The built-in rules plus <paramref name="user"/>'s rules and global allowlists (a user rule may not reuse a built-in id).</summary>
    public static SecretRuleSet WithUserRules(UserSecretRules? user) => user is null || (user.Rules.Count == 0 && user.GlobalAllowlists.Count == 0)
        ? BuiltIn
        : new SecretRuleSet(BuiltInSecretRules.All.Concat(user.Rules), user.GlobalAllowlists);

    public IReadOnlyList<SecretRule> Rules { get; }

    /// <summary>
    /// Whether a scan with these rules reports every PEM private key block (the built-in rule is in, and no global
    /// allowlist can hide one of its matches): then the scan also answers what the training-input guard's detector asks.
    /// </summary>
    public bool SeesEveryPrivateKey => Rules.Contains(BuiltInSecretRules.PrivateKey)
        && !GlobalAllowlists.Any(a => a.Targets(BuiltInSecretRules.PrivateKey.Id));

    public IReadOnlyList<SecretAllowlist> GlobalAllowlists { get; }

    internal KeywordSearch Search { get; }

    /// <summary>For each keyword of <see cref="Search"/>, the rules (indexes into <see cref="Rules"/>) it belongs to.</summary>
    internal int[][] RulesOfKeyword { get; }

    /// <summary>Beside <see cref="RulesOfKeyword"/>: whether the keyword is one of that rule's <see cref="SecretRule.LeadingKeywords"/>.</summary>
    internal bool[][] LeadsMatch { get; }

    /// <summary>Rules without keywords: their regex runs over every byte.</summary>
    internal int[] Unanchored { get; }

    /// <summary>The largest Before + After of any rule: how much of the past a scanner must keep.</summary>
    internal int MaxReach { get; }

    /// <summary>The largest <see cref="SecretRule.Before"/> of any rule.</summary>
    internal int MaxBefore { get; }

    /// <summary>Rules that match a file's path alone (a path pattern and no content pattern).</summary>
    internal int[] PathOnly { get; }

    /// <summary>
    /// Which rules apply to a file at <paramref name="path"/> (null = a text with no path: all). Read only: when no rule or
    /// allowlist looks at paths (the built-in set), every scanner shares one array.
    /// </summary>
    internal bool[] ActiveFor(string? path)
    {
        if (path is null || !_pathDependent)
        {
            return _allActive;
        }

        var globallyAllowed = path is not null && GlobalAllowlists.Any(a => a.TargetRules.Count == 0 && a.AllowsPathAlone(path));
        return Rules.Select(r => !globallyAllowed && r.AppliesTo(path)).ToArray();
    }
}
