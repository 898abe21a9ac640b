using System.CommandLine;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Signing;

namespace MlBuildGuard.Tool.Commands;

/// <summary>
/// <c>mlguard verify MODEL --public-key FILE [--signature FILE]</c>: verifies a model file or folder against its OMS
/// signature (default <c>MODEL.sig</c>) and a public key, and prints why it fails: MLG602 no signature, MLG603 a signature
/// that does not match the model or is malformed (naming the extra, missing and changed files), MLG604 a signature by
/// another key. A private key given as the public key is MLG606. Exit 0 valid, 1 invalid, 2 usage or I/O error (SPEC §7).
/// </summary>
public static class VerifyCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var model = new Argument<string>("MODEL") { Description = "The model file or folder to verify." };
        var publicKey = new Option<string>("--public-key") { Description = "The trusted public key (PEM).", Required = true };
        var signature = new Option<string?>("--signature") { Description = "The signature to check (default: MODEL.sig beside the model)." };
        var command = new Command("verify", "Verify a model's signature (OpenSSF Model Signing) against a trusted public key.") { model, publicKey, signature };
        command.SetAction(r => Run(r.GetValue(model)!, r.GetValue(publicKey)!, r.GetValue(signature), stdout, stderr));
        return command;
    }

    public static int Run(string model, string publicKeyPath, string? signature, TextWriter stdout, TextWriter stderr)
    {
        if (!File.Exists(model) && !Directory.Exists(model))
        {
            stderr.WriteLine($"mlguard: {model}: No such file or directory");
            return Program.UsageOrIoError;
        }

        OmsPublicKey key;
        try
        {
            var text = File.ReadAllText(publicKeyPath);
            if (HoldsPrivateKey(text))
            {
                stdout.WriteLine(Finding.Create(RuleCatalog.PrivateKeyExposed, new SourceLocation(publicKeyPath), null,
                    publicKeyPath, "a PRIVATE KEY block", "a public key").ToCanonicalString());
                stderr.WriteLine("mlguard verify: the trusted key file holds a private key; nothing was verified.");
                return Program.UsageOrIoError;
            }

            key = OmsPublicKey.FromPem(text);
        }
        catch (Exception e) when (e is OmsKeyException or IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"mlguard: {publicKeyPath}: {e.Message}");
            return Program.UsageOrIoError;
        }

        var signaturePath = signature is null ? OmsSigner.DefaultSignaturePath(model) : Path.GetFullPath(signature);
        byte[] bundle;
        try
        {
            bundle = File.ReadAllBytes(signaturePath);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return Invalid(stdout, stderr, Finding.Create(RuleCatalog.SignatureMissing, new SourceLocation(model), null,
                model, signaturePath, "verification requires one"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"mlguard: {signaturePath}: {e.Message}");
            return Program.UsageOrIoError;
        }

        var result = OmsVerifier.Verify(model, bundle, key, new OmsVerifyOptions { SignaturePath = signaturePath });
        var location = new SourceLocation(signaturePath);
        switch (result.Failure)
        {
            case OmsVerificationFailure.None:
                stderr.WriteLine($"mlguard verify: '{model}': the signature '{signaturePath}' is valid, by the given {key.Curve} key, and matches the model.");
                return 0;
            case OmsVerificationFailure.ModelUnreadable:
                stderr.WriteLine($"mlguard: {model}: {result.Message}");
                return Program.UsageOrIoError;
            case OmsVerificationFailure.WrongKey:
                return Invalid(stdout, stderr, Finding.Create(RuleCatalog.SignatureByUntrustedKey, location, null, signaturePath, model, publicKeyPath, result.Message));
            default: // malformed, unsupported method, bad signature, content mismatch
                return Invalid(stdout, stderr, Finding.Create(RuleCatalog.SignatureMismatch, location, null, signaturePath, model, result.Message));
        }
    }

    private static int Invalid(TextWriter stdout, TextWriter stderr, Finding finding)
    {
        stdout.WriteLine(finding.ToCanonicalString());
        stderr.WriteLine($"mlguard verify: invalid ({finding.Code}).");
        return 1;
    }

    /// <summary>Whether the text has a PEM block of a private key (PKCS#8, encrypted PKCS#8, SEC1 or any other kind).</summary>
    private static bool HoldsPrivateKey(string text)
    {
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
