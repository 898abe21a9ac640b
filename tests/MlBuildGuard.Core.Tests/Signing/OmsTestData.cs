using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests.Signing;

/// <summary>Locates the shared OMS vectors (<c>../shared/testdata/oms</c> beside the repository root) and copies them.</summary>
internal static class OmsTestData
{
    public static string Root { get; } = Path.GetFullPath(Path.Combine(RepositoryPaths.Root, "..", "shared", "testdata", "oms"));

    public static string Path_(params string[] parts) => Path.Combine([Root, .. parts]);

    public static string PublicKeyPem => File.ReadAllText(Path_("golden", "keys", "signing-key-pub.pem"));

    public static string PrivateKeyPem => File.ReadAllText(Path_("golden", "keys", "signing-key.pem"));

    /// <summary>Copies a golden folder into <paramref name="temp"/> so tests may change it; returns the copy.</summary>
    public static string CopyGolden(TempDirectory temp, string name)
    {
        var source = Path_("golden", name);
        var target = temp.Combine(name);
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }

        return target;
    }

    public static void FlipFirstByte(string path)
    {
        var bytes = File.ReadAllBytes(path);
        bytes[0] ^= 0x01;
        File.WriteAllBytes(path, bytes);
    }

    /// <summary>Runs a program and returns its exit code and combined output.</summary>
    public static (int ExitCode, string Output) Run(string fileName, params string[] arguments)
    {
        var start = new System.Diagnostics.ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr);
    }
}
