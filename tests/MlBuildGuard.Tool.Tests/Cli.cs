namespace MlBuildGuard.Tool.Tests;

/// <summary>Runs the mlguard command in-process and captures what it prints.</summary>
internal static class Cli
{
    public static (int ExitCode, string Stdout, string Stderr) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = Program.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
