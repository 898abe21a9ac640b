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
            if (SignatureFindings.HoldsPrivateKey(text))
            {
                stdout.WriteLine(SignatureFindings.PrivateKeyInTrustedKeyFile(publicKeyPath, new SourceLocation(publicKeyPath)).ToCanonicalString());
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
            return Invalid(stdout, stderr, SignatureFindings.Missing(model, signaturePath, "verification requires one", new SourceLocation(model)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"mlguard: {signaturePath}: {e.Message}");
            return Program.UsageOrIoError;
        }

        OmsVerificationResult result;
        using (var progress = TerminalProgress.For("mlguard verify", stderr))
        {
            result = OmsVerifier.Verify(model, bundle, key, new OmsVerifyOptions { SignaturePath = signaturePath, Progress = progress.Progress });
        }

        var location = new SourceLocation(signaturePath);
        switch (result.Failure)
        {
            case OmsVerificationFailure.None:
                stderr.WriteLine($"mlguard verify: '{model}': the signature '{signaturePath}' is valid, by the given {key.Curve} key, and matches the model.");
                return 0;
            case OmsVerificationFailure.ModelUnreadable:
                stderr.WriteLine($"mlguard: {model}: {result.Message}");
                return Program.UsageOrIoError;
            default: // another key (MLG604); malformed, unsupported method, bad signature, content mismatch (MLG603)
                return Invalid(stdout, stderr, SignatureFindings.FromVerification(result, model, signaturePath, publicKeyPath, location)!);
        }
    }

    private static int Invalid(TextWriter stdout, TextWriter stderr, Finding finding)
    {
        stdout.WriteLine(finding.ToCanonicalString());
        stderr.WriteLine($"mlguard verify: invalid ({finding.Code}).");
        return 1;
    }
}
