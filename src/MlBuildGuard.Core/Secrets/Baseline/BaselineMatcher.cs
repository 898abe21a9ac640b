using MlBuildGuard.Core.Diagnostics;

namespace MlBuildGuard.Core.Secrets.Baseline;

/// <summary>The findings of one file's matches once a baseline has accepted what it lists.</summary>
/// <param name="Findings">MLG801 / MLG606 for each match the baseline does not accept.</param>
/// <param name="Entries">The baseline entry of every match (accepted or not): what <c>--update-baseline</c> writes.</param>
/// <param name="Accepted">How many matches the baseline accepted.</param>
public sealed record BaselineOutcome(IReadOnlyList<Finding> Findings, IReadOnlyList<BaselineEntry> Entries, int Accepted);

/// <summary>Applies a secrets baseline to a file's matches, the same way for the build and for <c>mlguard secrets</c>.</summary>
public static class BaselineMatcher
{
    /// <param name="baseline">The reviewed, accepted findings.</param>
    /// <param name="file">The file's key in the baseline: relative to the baseline's folder, '/' separators; null when it cannot be baselined (outside that folder).</param>
    /// <param name="displayPath">The file as findings name it.</param>
    /// <param name="matches">The file's matches.</param>
    /// <param name="holds">What only belongs in the file, for MLG606 messages ("training data", "model data").</param>
    public static BaselineOutcome Apply(SecretsBaseline baseline, string? file, string displayPath, IEnumerable<SecretMatch> matches, string holds = "data")
    {
        ArgumentNullException.ThrowIfNull(baseline);
        var findings = new List<Finding>();
        var entries = new List<BaselineEntry>();
        var accepted = 0;
        foreach (var match in matches)
        {
            if (file is not null)
            {
                entries.Add(new BaselineEntry(file, match.RuleId, match.Fingerprint));
                if (baseline.Accepts(file, match.RuleId, match.Fingerprint))
                {
                    accepted++;
                    continue;
                }
            }

            findings.Add(SecretFindings.ToFinding(match, displayPath, file ?? displayPath, holds));
        }

        return new BaselineOutcome(findings, entries, accepted);
    }

    /// <summary>The key of <paramref name="fullPath"/> in a baseline kept in <paramref name="baselineFolder"/>, or null when the file is outside it.</summary>
    public static string? KeyOf(string fullPath, string baselineFolder)
    {
        var relative = Path.GetRelativePath(Path.GetFullPath(baselineFolder), Path.GetFullPath(fullPath)).Replace('\\', '/');
        return SecretsBaseline.IsRelativePath(relative) ? relative : null;
    }
}
