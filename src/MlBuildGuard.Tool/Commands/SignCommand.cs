using System.CommandLine;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Signing;

namespace MlBuildGuard.Tool.Commands;

/// <summary>
/// <c>mlguard sign MODEL --private-key FILE [--signature FILE] [--shard-size BYTES]</c>: signs a model file or folder with the OMS key method
/// and writes the Sigstore bundle (default <c>MODEL.sig</c>). The passphrase of an encrypted key comes only from the
/// environment variable <c>MLGUARD_SIGNING_KEY_PASSWORD</c>. Exit 0, or 2 on an unusable key (MLG605), a usage or an I/O
/// error (SPEC §7). Nothing printed ever holds key material or the passphrase.
/// </summary>
public static class SignCommand
{
    /// <summary>The only place a passphrase is read from (SPEC §3).</summary>
    public const string PassphraseVariable = "MLGUARD_SIGNING_KEY_PASSWORD";

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var model = new Argument<string>("MODEL") { Description = "The model file or folder to sign." };
        var privateKey = new Option<string>("--private-key") { Description = $"The private key (PEM; a passphrase is read from {PassphraseVariable}).", Required = true };
        var signature = new Option<string?>("--signature") { Description = "Where to write the signature (default: MODEL.sig beside the model)." };
        var shardSize = new Option<long?>("--shard-size")
        {
            Description = "Hash files in shards of this many bytes on every core (the OMS 'shards' method; default: one digest per file).",
        };
        shardSize.Validators.Add(r =>
        {
            if (r.GetValue(shardSize) is <= 0)
            {
                r.AddError("--shard-size must be a positive number of bytes.");
            }
        });
        var command = new Command("sign", "Sign a model file or folder (OpenSSF Model Signing).") { model, privateKey, signature, shardSize };
        command.SetAction(r => Run(r.GetValue(model)!, r.GetValue(privateKey)!, r.GetValue(signature), stdout, stderr, r.GetValue(shardSize)));
        return command;
    }

    public static int Run(string model, string privateKeyPath, string? signature, TextWriter stdout, TextWriter stderr, long? shardSize = null)
    {
        if (!File.Exists(model) && !Directory.Exists(model))
        {
            stderr.WriteLine($"mlguard: {model}: No such file or directory");
            return Program.UsageOrIoError;
        }

        OmsPrivateKey key;
        try
        {
            var passphrase = Environment.GetEnvironmentVariable(PassphraseVariable);
            key = OmsPrivateKey.FromFile(privateKeyPath, string.IsNullOrEmpty(passphrase) ? null : passphrase);
        }
        catch (Exception e) when (e is OmsKeyException or IOException or UnauthorizedAccessException)
        {
            stdout.WriteLine(SignatureFindings.SigningKeyUnusable(privateKeyPath, e, new SourceLocation(privateKeyPath)).ToCanonicalString());
            stderr.WriteLine("mlguard sign: nothing was signed.");
            return Program.UsageOrIoError;
        }

        try
        {
            using var progress = TerminalProgress.For("mlguard sign", stderr);
            var written = OmsSigner.SignToFile(model, key, new OmsSignOptions
            {
                Progress = progress.Progress,
                SignaturePath = signature is null ? null : Path.GetFullPath(signature),
                ShardSize = shardSize,
            });
            progress.Dispose();
            stderr.WriteLine($"mlguard sign: signed '{model}' with a {key.Curve} key into '{written}'.");
            return 0;
        }
        catch (Exception e) when (e is ModelHashException or IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"mlguard: {model}: {e.Message}");
            return Program.UsageOrIoError;
        }
    }
}
