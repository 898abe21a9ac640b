using System.Diagnostics;

namespace MlBuildGuard.Tool.Tests;

/// <summary>
/// Runs the mlguard command and captures what it prints: in-process by default, or, when MLGUARD_TEST_EXECUTABLE names a
/// published mlguard (the Native AOT binary, say), as that process, so the same tests check what ships
/// (build/bench/aot-smoke.sh sets it).
/// </summary>
internal static class Cli
{
    private static readonly string? Executable = Environment.GetEnvironmentVariable("MLGUARD_TEST_EXECUTABLE") is { Length: > 0 } path ? path : null;

    public static (int ExitCode, string Stdout, string Stderr) Run(params string[] args)
    {
        if (Executable is not null)
        {
            return RunProcess(Executable, args);
        }

        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = Program.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static (int ExitCode, string Stdout, string Stderr) RunProcess(string executable, string[] args)
    {
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {executable}");
        process.StandardInput.Close();
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill();
            throw new TimeoutException($"{executable} {string.Join(' ', args)} did not finish in 2 minutes");
        }

        return (process.ExitCode, stdout, stderr.GetAwaiter().GetResult());
    }
}
