using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Secrets;

namespace MlBuildGuard.Core.Signing;

/// <summary>
/// How signing and verification outcomes become findings (MLG602–MLG606), shared by the build tasks and the <c>mlguard</c>
/// command so both say the same thing. No message built here ever holds key material or a passphrase.
/// </summary>
public static class SignatureFindings
{
    /// <summary>MLG602: the signature file does not exist; <paramref name="why"/> says why one is required.</summary>
    public static Finding Missing(string model, string signaturePath, string why, SourceLocation location, string? subject = null) =>
        Finding.Create(RuleCatalog.SignatureMissing, location, subject, model, signaturePath, why);

    /// <summary>MLG606: a file that must hold only a public key holds a private key.</summary>
    public static Finding PrivateKeyInTrustedKeyFile(string keyPath, SourceLocation location, string? subject = null) =>
        Finding.Create(RuleCatalog.PrivateKeyExposed, location, subject, keyPath, "a PRIVATE KEY block", "a public key");

    /// <summary>MLG606: a file shipped with a model holds a private key.</summary>
    public static Finding PrivateKeyInModel(string file, SourceLocation location, string? subject = null) =>
        Finding.Create(RuleCatalog.PrivateKeyExposed, location, subject, file, "a PRIVATE KEY block", "model data");

    /// <summary>MLG606: a training input holds a private key.</summary>
    public static Finding PrivateKeyInTrainingInput(string file, SourceLocation location) =>
        Finding.Create(RuleCatalog.PrivateKeyExposed, location, file, file, "a PRIVATE KEY block", "training data");

    /// <summary>
    /// The files of a model (a file, or every file under a folder, links not followed) whose first bytes hold a PEM private
    /// key block. Keys are small text files, so the first 64 KiB of each file is enough; DER keys are not recognised.
    /// </summary>
    public static IEnumerable<string> FilesHoldingPrivateKeys(string model)
    {
        var files = Directory.Exists(model)
            ? Directory.EnumerateFiles(model, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint })
            : File.Exists(model) ? [model] : [];
        var head = new byte[64 * 1024];
        foreach (var file in files.Order(StringComparer.Ordinal))
        {
            int n;
            try
            {
                using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None);
                n = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue; // the signer reports files it cannot read
            }

            if (PrivateKeyDetector.Contains(head.AsSpan(0, n)))
            {
                yield return file;
            }
        }
    }

    /// <summary>MLG604 when no trusted key verifies the signature, naming the keys tried.</summary>
    public static Finding Untrusted(string model, string signaturePath, string keys, string reason, SourceLocation location, string? subject = null) =>
        Finding.Create(RuleCatalog.SignatureByUntrustedKey, location, subject, signaturePath, model, keys, reason);

    /// <summary>MLG603: the signature does not match the model or is malformed (the message names extra, missing and changed files).</summary>
    public static Finding Mismatch(string model, string signaturePath, string reason, SourceLocation location, string? subject = null) =>
        Finding.Create(RuleCatalog.SignatureMismatch, location, subject, signaturePath, model, reason);

    /// <summary>
    /// The finding for a failed verification with one key: MLG604 for another key, MLG603 for everything else; null when
    /// the signature is valid. <see cref="OmsVerificationFailure.ModelUnreadable"/> is the caller's to handle first when it
    /// is an I/O error for it; here it is a model that cannot be shown to match (MLG603).
    /// </summary>
    public static Finding? FromVerification(OmsVerificationResult result, string model, string signaturePath, string keys, SourceLocation location,
        string? subject = null) => result.Failure switch
    {
        OmsVerificationFailure.None => null,
        OmsVerificationFailure.WrongKey => Untrusted(model, signaturePath, keys, result.Message, location, subject),
        _ => Mismatch(model, signaturePath, result.Message, location, subject),
    };

    /// <summary>
    /// Of the results of verifying one signature with each trusted key, the one that decides: a valid one; else one that
    /// says the signature is by that key or is broken whatever the key (malformed, content mismatch, ...); else a bad
    /// signature; else "another key". Null for no results.
    /// </summary>
    public static OmsVerificationResult? Decisive(IEnumerable<OmsVerificationResult> results)
    {
        OmsVerificationResult? best = null;
        foreach (var result in results)
        {
            if (best is null || Rank(result.Failure) < Rank(best.Failure))
            {
                best = result;
            }
        }

        return best;

        static int Rank(OmsVerificationFailure failure) => failure switch
        {
            OmsVerificationFailure.None => 0,
            OmsVerificationFailure.WrongKey => 3,
            OmsVerificationFailure.BadSignature => 2,
            _ => 1,
        };
    }

    /// <summary>MLG605 for a signing key that cannot be used; <paramref name="keyName"/> is a path or a variable name, never the key.</summary>
    public static Finding SigningKeyUnusable(string keyName, Exception e, SourceLocation location) =>
        Finding.Create(RuleCatalog.SigningKeyUnusable, location, null, keyName, KeyProblem(e));

    /// <summary>Why a key could not be used, without key material: OmsKeyException never carries any; I/O messages name only the path.</summary>
    public static string KeyProblem(Exception e) => e switch
    {
        OmsKeyException => e.Message,
        FileNotFoundException or DirectoryNotFoundException => "the file does not exist.",
        _ => "it cannot be read: " + e.Message.TrimEnd('.') + ".",
    };

    /// <summary>Whether the text has a PEM block of a private key (PKCS#8, encrypted PKCS#8, SEC1 or any other kind).</summary>
    public static bool HoldsPrivateKey(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var start = 0;
        while ((start = text.IndexOf("-----BEGIN ", start, StringComparison.Ordinal)) >= 0)
        {
            var end = text.IndexOf("-----", start + 11, StringComparison.Ordinal);
            if (end < 0)
            {
                return false;
            }

            if (text[(start + 11)..end].EndsWith("PRIVATE KEY", StringComparison.Ordinal))
            {
                return true;
            }

            start = end;
        }

        return false;
    }
}
