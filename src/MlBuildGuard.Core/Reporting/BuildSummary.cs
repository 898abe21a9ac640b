using System.Globalization;

namespace MlBuildGuard.Core.Reporting;

/// <summary>
/// One thing a guard checked or wrote in this build, counted: the build's summary line is made of them. A kind is one of
/// <see cref="BuildSummary"/>'s constants; facts of the same kind (from several frameworks' builds) add up.
/// </summary>
public sealed record SummaryFact(string Kind, int Count);

/// <summary>
/// The one line a guarded build ends with (SPEC §3), at high importance: what was checked and what was written, e.g.
/// <c>MlBuildGuard: 2 training inputs unchanged, 9 packages verified, 1 model sealed (not signed)</c>. A new guard joins by
/// adding its kinds to <see cref="Phrases"/> and reporting facts of them.
/// </summary>
public static class BuildSummary
{
    public const string TrainingInputsUnchanged = "training-inputs-unchanged";
    public const string TrainingInputsLocked = "training-inputs-locked";
    public const string PackagesVerified = "packages-verified";
    public const string ModelsScanned = "models-scanned";
    public const string ModelSignaturesVerified = "model-signatures-verified";
    public const string ModelsSealed = "models-sealed";
    public const string ModelsSigned = "models-signed";
    public const string ModelsNotSigned = "models-not-signed";

    /// <summary>Each kind's words (singular, plural), in the order the line gives them.</summary>
    private static readonly (string Kind, string One, string Many)[] Phrases =
    [
        (TrainingInputsUnchanged, "training input unchanged", "training inputs unchanged"),
        (TrainingInputsLocked, "training input locked", "training inputs locked"),
        (PackagesVerified, "package verified", "packages verified"),
        (ModelsScanned, "model scanned", "models scanned"),
        (ModelSignaturesVerified, "model signature verified", "model signatures verified"),
        (ModelsSealed, "model sealed", "models sealed"),
    ];

    /// <summary>The summary line, or null when the facts say nothing (a guarded build that had nothing to check).</summary>
    public static string? Line(IEnumerable<SummaryFact> facts)
    {
        var totals = facts.Where(f => f.Count > 0).GroupBy(f => f.Kind, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Sum(f => f.Count), StringComparer.Ordinal);
        var parts = new List<string>();
        foreach (var (kind, one, many) in Phrases)
        {
            if (totals.TryGetValue(kind, out var count))
            {
                var text = string.Create(CultureInfo.InvariantCulture, $"{count} {(count == 1 ? one : many)}");
                parts.Add(kind == ModelsSealed ? text + Signing(count, totals) : text);
            }
        }

        return parts.Count == 0 ? null : "MlBuildGuard: " + string.Join(", ", parts);
    }

    /// <summary>Whether the sealed models were signed: "(signed)", "(not signed)", or the counts when it differs among them.</summary>
    private static string Signing(int sealedCount, Dictionary<string, int> totals)
    {
        totals.TryGetValue(ModelsSigned, out var signed);
        totals.TryGetValue(ModelsNotSigned, out var unsigned);
        return (signed, unsigned) switch
        {
            (0, 0) => "",
            (_, 0) => signed >= sealedCount ? " (signed)" : string.Create(CultureInfo.InvariantCulture, $" ({signed} signed)"),
            (0, _) => unsigned >= sealedCount ? " (not signed)" : string.Create(CultureInfo.InvariantCulture, $" ({unsigned} not signed)"),
            _ => string.Create(CultureInfo.InvariantCulture, $" ({signed} signed, {unsigned} not signed)"),
        };
    }
}
