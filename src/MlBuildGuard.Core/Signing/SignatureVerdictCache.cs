using System.Text;
using MlBuildGuard.Core.IO;

namespace MlBuildGuard.Core.Signing;

/// <summary>
/// Valid signature verdicts remembered between builds (a line per model: full path, tab, fingerprint), so that a model
/// whose files, signature and trusted keys are unchanged is not hashed again. Only valid verdicts are kept; a cache that
/// cannot be read or written costs time, never a verdict.
/// </summary>
public static class SignatureVerdictCache
{
    /// <summary>What a valid verdict depends on: the model's files, the signature, the verifier build and the trusted keys.</summary>
    public static string? Fingerprint(string model, string signature, IEnumerable<string> keyHints) => StampFingerprint.Of(model,
        ["verifier=" + typeof(OmsVerifier).Assembly.ManifestModule.ModuleVersionId, "keys=" + string.Join(',', keyHints.Order(StringComparer.Ordinal))],
        signature);

    public static Dictionary<string, string> Load(string path)
    {
        var cache = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            foreach (var line in File.ReadLines(path))
            {
                var tab = line.LastIndexOf('\t');
                if (tab > 0)
                {
                    cache[line[..tab]] = line[(tab + 1)..];
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // No cache: every model is verified in full.
        }

        return cache;
    }

    public static void Save(string path, IReadOnlyDictionary<string, string> verified)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var text = string.Concat(verified.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => v.Key + "\t" + v.Value + "\n"));
            AtomicFile.WriteAllBytes(path, Encoding.UTF8.GetBytes(text));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Only saves time on the next build.
        }
    }
}
