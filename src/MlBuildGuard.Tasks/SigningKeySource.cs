using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Signing;

namespace MlBuildGuard.Tasks;

/// <summary>
/// Where the build's signing key comes from: the PEM file <c>$(MlGuardSigningKey)</c>, else the PEM text of the
/// environment variable <c>MLGUARD_SIGNING_KEY</c> (a CI secret, read here only so it never becomes a logged property);
/// a passphrase only from <c>MLGUARD_SIGNING_KEY_PASSWORD</c>. Shared by model signing and provenance signing.
/// </summary>
internal static class SigningKeySource
{
    /// <summary>The only place a private key's PEM text is read from, besides the file <c>$(MlGuardSigningKey)</c>.</summary>
    public const string KeyVariable = "MLGUARD_SIGNING_KEY";

    /// <summary>The only place a passphrase is read from (SPEC §3).</summary>
    public const string PassphraseVariable = "MLGUARD_SIGNING_KEY_PASSWORD";

    /// <summary>Whether a key is configured at all (a path, or the variable).</summary>
    public static bool IsConfigured(string? keyPath) =>
        !string.IsNullOrWhiteSpace(keyPath) || !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(KeyVariable));

    /// <summary>
    /// The configured key, or null with <paramref name="problem"/> set to MLG605 when it cannot be used (the message names
    /// the path or the variable, never the key). Null with no problem when no key is configured.
    /// </summary>
    public static OmsPrivateKey? Load(string? keyPath, Func<string, string> fullPath, string projectFile, out Finding? problem)
    {
        problem = null;
        var path = string.IsNullOrWhiteSpace(keyPath) ? null : fullPath(keyPath);
        var text = path is null ? Environment.GetEnvironmentVariable(KeyVariable) : null;
        if (path is null && string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        try
        {
            var passphrase = Environment.GetEnvironmentVariable(PassphraseVariable);
            passphrase = string.IsNullOrEmpty(passphrase) ? null : passphrase;
            return path is not null ? OmsPrivateKey.FromFile(path, passphrase) : OmsPrivateKey.FromPem(text!, passphrase);
        }
        catch (Exception e) when (e is OmsKeyException or IOException or UnauthorizedAccessException)
        {
            problem = SignatureFindings.SigningKeyUnusable(path is null ? KeyVariable : keyPath!, e,
                new SourceLocation(path is not null && File.Exists(path) ? path : projectFile));
            return null;
        }
    }
}
