using System.CommandLine;
using System.Text;
using MlBuildGuard.Core.Signing;

namespace MlBuildGuard.Tool.Commands;

/// <summary>
/// <c>mlguard keygen --private-key FILE --public-key FILE [--curve p256|p384|p521]</c>: a new ECDSA key pair for OMS
/// signing, as PEM (PKCS#8 private, SPKI public). Never overwrites a file; the private key file is readable by its owner
/// only from the moment it exists. Exit 0, or 2 on a usage or I/O error with nothing written (SPEC §7).
/// </summary>
public static class KeygenCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var privateKey = new Option<string>("--private-key") { Description = "Where to write the private key (PKCS#8 PEM, owner-only). Must not exist.", Required = true };
        var publicKey = new Option<string>("--public-key") { Description = "Where to write the public key (SPKI PEM). Must not exist.", Required = true };
        var curve = new Option<string>("--curve") { Description = "p256 (default), p384 or p521.", DefaultValueFactory = _ => "p256" };
        curve.AcceptOnlyFromAmong("p256", "p384", "p521");
        var command = new Command("keygen", "Make a new key pair for signing models.") { privateKey, publicKey, curve };
        command.SetAction(r => Run(r.GetValue(privateKey)!, r.GetValue(publicKey)!, r.GetValue(curve)!, stdout, stderr));
        return command;
    }

    public static int Run(string privateKeyPath, string publicKeyPath, string curveName, TextWriter stdout, TextWriter stderr)
    {
        var curve = curveName switch
        {
            "p384" => OmsCurve.P384,
            "p521" => OmsCurve.P521,
            _ => OmsCurve.P256,
        };
        var privateFull = Path.GetFullPath(privateKeyPath);
        var publicFull = Path.GetFullPath(publicKeyPath);
        if (string.Equals(privateFull, publicFull, OperatingSystem.IsLinux() ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase))
        {
            stderr.WriteLine("mlguard: --private-key and --public-key name the same file.");
            return Program.UsageOrIoError;
        }

        foreach (var path in new[] { privateKeyPath, publicKeyPath })
        {
            if (File.Exists(path) || Directory.Exists(path))
            {
                stderr.WriteLine($"mlguard: {path}: already exists; keygen never overwrites a file (nothing was written).");
                return Program.UsageOrIoError;
            }
        }

        var key = OmsPrivateKey.Generate(curve);
        try
        {
            CreateNew(privateFull, Encoding.ASCII.GetBytes(key.ToPkcs8Pem()), ownerOnly: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"mlguard: {privateKeyPath}: {e.Message} (nothing was written)");
            return Program.UsageOrIoError;
        }

        try
        {
            CreateNew(publicFull, Encoding.ASCII.GetBytes(key.PublicKey.Pem), ownerOnly: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(privateFull); // created above by this run (CreateNew), so it is ours to remove
            stderr.WriteLine($"mlguard: {publicKeyPath}: {e.Message} (nothing was written)");
            return Program.UsageOrIoError;
        }

        stdout.WriteLine($"mlguard keygen: wrote the {curve} private key to '{privateKeyPath}' (keep it secret) and its public key to '{publicKeyPath}'.");
        return 0;
    }

    /// <summary>
    /// Writes <paramref name="content"/> to a temporary file beside <paramref name="path"/> (owner-only from creation when
    /// <paramref name="ownerOnly"/>, on Unix), flushes it, and moves it to <paramref name="path"/> without overwriting, so
    /// the target either does not exist or holds the whole content. Fails when <paramref name="path"/> exists.
    /// </summary>
    private static void CreateNew(string path, byte[] content, bool ownerOnly)
    {
        var dir = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(dir);
        var temp = Path.Combine(dir, "." + Path.GetFileName(path) + "." + Guid.NewGuid().ToString("N")[..12] + ".tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (ownerOnly && !OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            using (var stream = File.Open(temp, options))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: false);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
