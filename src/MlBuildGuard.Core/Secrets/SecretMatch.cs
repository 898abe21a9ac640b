using System.Security.Cryptography;
using System.Text;

namespace MlBuildGuard.Core.Secrets;

/// <summary>
/// A secret found: which rule, where, and its fingerprint. It never holds the secret itself, so it can be logged, written
/// to SARIF and kept in a baseline.
/// </summary>
/// <param name="RuleId">The rule that found it (e.g. <c>github-token</c>).</param>
/// <param name="Kind">Credential (MLG801) or private key (MLG606).</param>
/// <param name="Description">What the rule finds, in words.</param>
/// <param name="Line">1-based line of the secret's first byte (lines end at '\n'); 0 for a path-only rule.</param>
/// <param name="Column">1-based column of the secret's first byte, counted in bytes from the line start.</param>
/// <param name="Offset">0-based byte offset of the secret's first byte in the scanned bytes.</param>
/// <param name="Fingerprint">First 16 hex digits of SHA-256 over the rule id, a NUL and the secret.</param>
/// <param name="View">The part of a file that was scanned (a zip member, a model's metadata entry), or null for the file itself.</param>
public sealed record SecretMatch(string RuleId, SecretKind Kind, string Description, int Line, int Column, long Offset, string Fingerprint, string? View = null);

/// <summary>The arithmetic of secrets: fingerprints and Shannon entropy.</summary>
public static class SecretMath
{
    /// <summary>
    /// The short, stable hash a finding and a baseline name a secret by: 16 hex digits (64 bits) of
    /// SHA-256(rule id, NUL, secret). The same secret found by the same rule anywhere has the same fingerprint.
    /// </summary>
    public static string Fingerprint(string ruleId, string secret)
    {
        var bytes = Encoding.UTF8.GetBytes(ruleId + "\0" + secret);
        return Convert.ToHexStringLower(SHA256.HashData(bytes))[..16];
    }

    /// <summary>Shannon entropy of the characters of <paramref name="text"/>, in bits per character (as gitleaks computes it).</summary>
    public static double ShannonEntropy(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty)
        {
            return 0;
        }

        Span<int> counts = stackalloc int[256];
        var other = new Dictionary<char, int>();
        foreach (var c in text)
        {
            if (c < 256)
            {
                counts[c]++;
            }
            else
            {
                other[c] = other.GetValueOrDefault(c) + 1;
            }
        }

        double entropy = 0;
        foreach (var n in counts)
        {
            entropy += Term(n, text.Length);
        }

        foreach (var n in other.Values)
        {
            entropy += Term(n, text.Length);
        }

        return entropy;

        static double Term(int n, int total)
        {
            if (n == 0)
            {
                return 0;
            }

            var p = (double)n / total;
            return -p * Math.Log2(p);
        }
    }
}
