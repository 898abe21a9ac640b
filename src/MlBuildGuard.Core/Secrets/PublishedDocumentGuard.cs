using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.IO;

namespace MlBuildGuard.Core.Secrets;

/// <summary>
/// The last check before the build publishes a document it wrote itself (provenance, ML-BOM, SARIF): such a document
/// must never carry a credential, whatever reached it (a training input's <c>Source</c> with a token in its path, a
/// metrics file name, a finding's message). The document is scanned with the secret rules; on a match nothing is
/// written and any older copy is removed, so no leaking or stale file is left behind (fail closed). The findings name the
/// output file, the place in it, the rule and the fingerprint, never the value. The secrets baseline does not apply: a
/// reviewed finding in the data is still a leak once it is published.
/// </summary>
public static class PublishedDocumentGuard
{
    /// <summary>The findings (MLG801, MLG606) for secrets in <paramref name="document"/>, as it would be written to <paramref name="path"/>.</summary>
    public static IReadOnlyList<Finding> Check(ReadOnlySpan<byte> document, string path, SecretRuleSet rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        return [.. SecretScanner.Scan(rules, document, path).Select(m => SecretFindings.ToFinding(m, path, path, "a published document"))];
    }

    /// <summary>
    /// Writes <paramref name="document"/> to <paramref name="path"/> (atomically, only when its bytes change) when it
    /// carries no secret; otherwise deletes <paramref name="path"/> and returns the findings.
    /// </summary>
    public static IReadOnlyList<Finding> WriteIfClean(string path, byte[] document, SecretRuleSet rules)
    {
        ArgumentNullException.ThrowIfNull(document);
        var findings = Check(document, path, rules);
        if (findings.Count > 0)
        {
            File.Delete(path);
            return findings;
        }

        AtomicFile.WriteIfChanged(path, document);

        return findings;
    }
}
