using System.Globalization;

namespace MlBuildGuard.Core.Diagnostics;

/// <summary>
/// One diagnostic rule: its stable code, a short title, its default severity, and the template of its message.
/// Every rule is declared once, in <see cref="RuleCatalog"/>.
/// </summary>
public sealed class Rule
{
    internal Rule(string code, string title, Severity defaultSeverity, string messageFormat, bool suppressible = true)
    {
        Code = code;
        Title = title;
        DefaultSeverity = defaultSeverity;
        MessageFormat = messageFormat;
        Suppressible = suppressible;
    }

    /// <summary>The stable code, e.g. <c>MLG402</c>.</summary>
    public string Code { get; }

    /// <summary>One line saying what the rule is about.</summary>
    public string Title { get; }

    public Severity DefaultSeverity { get; }

    /// <summary>
    /// Whether an <c>MlGuardSuppression</c> may accept it. MlBuildGuard's own configuration and failure codes may not: a
    /// broken configuration or a guard that could not run must never be hidden.
    /// </summary>
    public bool Suppressible { get; }

    /// <summary>A composite format string; <see cref="FormatMessage"/> fills it.</summary>
    public string MessageFormat { get; }

    /// <summary>Where the rule's documentation page lives.</summary>
    public string HelpUri => RuleCatalog.HelpBaseUri + Code + ".md";

    public string FormatMessage(params object?[] args) =>
        args.Length == 0 ? MessageFormat : string.Format(CultureInfo.InvariantCulture, MessageFormat, args);

    public override string ToString() => Code;
}
