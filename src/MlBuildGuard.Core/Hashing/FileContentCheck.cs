using MlBuildGuard.Core.Secrets;
using MlBuildGuard.Core.Secrets.PersonalData;

namespace MlBuildGuard.Core.Hashing;

/// <summary>
/// Work done in the one read that hashes a file (a secret scan, a table reader that counts personal data or validates a
/// schema), whose result the stamp cache keeps beside the digest: a file whose stamp has not moved keeps its digest and
/// what the check found in it, without being read again. One instance checks one file.
/// </summary>
public interface IFileContentCheck
{
    /// <summary>
    /// Everything the check's result depends on besides the file's bytes (rules, format, MlBuildGuard's build): a result
    /// the cache holds under another key is not used, and the file is read again.
    /// </summary>
    string Key { get; }

    /// <summary>Reads the file once, from its first byte to its last, and returns its digest; what it found is then <see cref="Findings"/>.</summary>
    /// <exception cref="IOException">The file cannot be read (the hasher reports it as it reports any read error).</exception>
    FileDigest Read(string path, CancellationToken cancellationToken);

    /// <summary>What <see cref="Read"/> found (valid after it returned).</summary>
    FileContentFindings Findings { get; }

    /// <summary>
    /// Whether <paramref name="found"/> (what this check found in a file, read now or kept by the cache) names every private
    /// key block of the file (no allowlist or match limit hid one), so another guard may take the digest and the key verdict
    /// instead of reading the file again.
    /// </summary>
    bool ReportsEveryPrivateKey(FileContentFindings found) => false;
}

/// <summary>Why a file could not be read as a table, at a 1-based line and column (0 when unknown).</summary>
public sealed record TableReadProblem(string Format, string Reason, long Line, int Column);

/// <summary>
/// What a content check found in a file: secret matches (fingerprints and places only, never a secret), the columns that
/// hold personal data (counts only, never a value), and, when the file was to be read as a table and could not be, why.
/// Everything here may be written to the stamp cache under <c>obj/</c>.
/// </summary>
public sealed record FileContentFindings
{
    public static FileContentFindings None { get; } = new();

    public IReadOnlyList<SecretMatch> Secrets { get; init; } = [];

    /// <summary>Matches beyond <see cref="SecretScanner.MaxMatches"/>, counted only.</summary>
    public int SecretsOmitted { get; init; }

    public IReadOnlyList<PiiColumnResult> PersonalData { get; init; } = [];

    public TableReadProblem? TableProblem { get; init; }

    public bool HoldsPrivateKey => Secrets.Any(s => s.Kind == SecretKind.PrivateKey);
}
