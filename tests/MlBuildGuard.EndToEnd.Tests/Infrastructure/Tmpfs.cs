using System.Diagnostics;

namespace MlBuildGuard.EndToEnd.Tests.Infrastructure;

/// <summary>
/// A small tmpfs mounted on a folder of a test project, which a test can make read-only or fill up. Mounting needs root
/// (CI runs as root); where it is not possible the test fails and says why, rather than passing without testing anything.
/// </summary>
public sealed class Tmpfs : IDisposable
{
    private Tmpfs(string path) => Path = path;

    public string Path { get; }

    private string Filler => System.IO.Path.Combine(Path, "zz.filler");

    public static Tmpfs Mount(string path, long bytes)
    {
        Directory.CreateDirectory(path);
        var (code, said) = Run("mount", "-t", "tmpfs", "-o", $"size={bytes}", "tmpfs", path);
        if (code != 0)
        {
            throw new InvalidOperationException(
                $"This test needs to mount a {bytes}-byte tmpfs on {path} to make a folder read-only or full, and could not (mount: {said.Trim()}). " +
                "Run the tests as root, as CI does; the read-only and full-disk behaviour is NOT tested here.");
        }

        return new Tmpfs(path);
    }

    /// <summary>"read-only": remounted read-only; "full": filled with a file until no byte is left.</summary>
    public void Break(string fault)
    {
        if (fault == "read-only")
        {
            Check(Run("mount", "-o", "remount,ro", Path));
            return;
        }

        using var filler = new FileStream(Filler, FileMode.Create, FileAccess.Write);
        var chunk = new byte[4096];
        try
        {
            while (true)
            {
                filler.Write(chunk);
                filler.Flush();
            }
        }
        catch (IOException)
        {
            // no space left: that is the point
        }
    }

    public void Repair()
    {
        Check(Run("mount", "-o", "remount,rw", Path));
        File.Delete(Filler);
    }

    public void Dispose() => Run("umount", "-l", Path);

    private static void Check((int Code, string Said) result)
    {
        if (result.Code != 0)
        {
            throw new InvalidOperationException(result.Said);
        }
    }

    private static (int Code, string Said) Run(string program, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        var said = process.StandardError.ReadToEnd() + process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, said);
    }
}
