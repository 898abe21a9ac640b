using System.Security.Cryptography;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Secrets.Baseline;
using MlBuildGuard.Core.Secrets.Rules;

namespace MlBuildGuard.Core.Secrets;

/// <summary>
/// The secret rules and the baseline of accepted findings that a build (<c>MlGuardSecretRules</c>,
/// <c>MlGuardSecretsBaseline</c>) or <c>mlguard secrets</c> (<c>--rules</c>, <c>--baseline</c>) works with, loaded once.
/// It fails closed but stays useful: a rule file that cannot be used leaves the built-in rules running, a baseline that
/// cannot be read accepts nothing (and is never rewritten), and each problem is an MLG803 finding in <see cref="Problems"/>.
/// </summary>
public sealed class SecretConfiguration
{
    private static readonly string ToolBuild = typeof(SecretConfiguration).Assembly.ManifestModule.ModuleVersionId.ToString("N");

    private readonly Lazy<SecretRuleSet> _rules;

    private SecretConfiguration(Lazy<SecretRuleSet> rules, bool seesEveryPrivateKey, string rulesKey, SecretsBaseline baseline, string? baselinePath,
        bool baselineUsable, IReadOnlyList<Finding> problems)
    {
        _rules = rules;
        SeesEveryPrivateKey = seesEveryPrivateKey;
        RulesKey = rulesKey;
        Baseline = baseline;
        BaselinePath = baselinePath;
        BaselineUsable = baselineUsable;
        Problems = problems;
    }

    /// <summary>The built-in rules and no baseline.</summary>
    public static SecretConfiguration BuiltIn { get; } = new(new(() => SecretRuleSet.BuiltIn), true, ToolBuild + ":built-in", SecretsBaseline.Empty, null, false, []);

    /// <summary>The rules, built on first use: a build whose inputs all come from the stamp cache never needs them.</summary>
    public SecretRuleSet Rules => _rules.Value;

    /// <summary>Whether a scan with <see cref="Rules"/> reports every private key block (<see cref="SecretRuleSet.SeesEveryPrivateKey"/>), known without building them.</summary>
    public bool SeesEveryPrivateKey { get; }

    /// <summary>
    /// Names the rules in caches: MlBuildGuard's build and the SHA-256 of the user's rule file, so a cached verdict made
    /// with other rules is not used.
    /// </summary>
    public string RulesKey { get; }

    public SecretsBaseline Baseline { get; }

    /// <summary>The baseline file (full path), whether or not it exists; null when there is none.</summary>
    public string? BaselinePath { get; }

    /// <summary>The folder baseline keys are relative to.</summary>
    public string? BaselineFolder => BaselinePath is null ? null : Path.GetDirectoryName(BaselinePath);

    /// <summary>False when the baseline exists but cannot be read: it then accepts nothing and must not be rewritten.</summary>
    public bool BaselineUsable { get; }

    /// <summary>MLG803 for a rule file or baseline that cannot be used, at the line and column of the problem.</summary>
    public IReadOnlyList<Finding> Problems { get; }

    /// <param name="rulesPath">A gitleaks-format TOML file of extra rules (full path), or null.</param>
    /// <param name="baselinePath">The baseline file (full path; it need not exist), or null for none.</param>
    public static SecretConfiguration Load(string? rulesPath, string? baselinePath)
    {
        var problems = new List<Finding>();
        var rules = new Lazy<SecretRuleSet>(() => SecretRuleSet.BuiltIn);
        var seesEveryKey = true; // the built-in rules have no allowlist
        var rulesKey = ToolBuild + ":built-in";
        if (rulesPath is not null)
        {
            try
            {
                var user = SecretRuleSet.WithUserRules(GitleaksRuleReader.Read(rulesPath)); // built now: its problems are MLG803
                rules = new Lazy<SecretRuleSet>(user);
                seesEveryKey = user.SeesEveryPrivateKey;
                rulesKey = ToolBuild + ":" + Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(rulesPath)));
            }
            catch (SecretConfigurationException e)
            {
                problems.Add(SecretFindings.Invalid(rulesPath, "a secret rule file", e.Reason, e.Line, e.Column));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                problems.Add(SecretFindings.Invalid(rulesPath, "a secret rule file", "it cannot be read: " + e.Message));
            }
        }

        var baseline = SecretsBaseline.Empty;
        var usable = baselinePath is not null;
        if (baselinePath is not null)
        {
            try
            {
                baseline = SecretsBaseline.Read(baselinePath);
            }
            catch (SecretConfigurationException e)
            {
                problems.Add(SecretFindings.Invalid(baselinePath, "a secrets baseline", e.Reason, e.Line, e.Column));
                usable = false;
            }
        }

        return new SecretConfiguration(rules, seesEveryKey, rulesKey, baseline, baselinePath, usable, problems);
    }

    /// <summary>The key of a file in the baseline (relative to its folder), or null when it cannot be baselined.</summary>
    public string? BaselineKeyOf(string fullPath) => BaselineFolder is null ? null : BaselineMatcher.KeyOf(fullPath, BaselineFolder);

    /// <summary>The findings of <paramref name="matches"/> in a file once the baseline has accepted what it lists.</summary>
    public BaselineOutcome Apply(string fullPath, string displayPath, IEnumerable<SecretMatch> matches, string holds) =>
        BaselineMatcher.Apply(BaselineUsable ? Baseline : SecretsBaseline.Empty, BaselineKeyOf(fullPath), displayPath, matches, holds);
}
