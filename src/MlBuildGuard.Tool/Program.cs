using System.CommandLine;
using MlBuildGuard.Tool.Commands;

namespace MlBuildGuard.Tool;

public static class Program
{
    /// <summary>Exit code for usage and I/O errors (SPEC §7).</summary>
    public const int UsageOrIoError = 2;

    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("mlguard: MlBuildGuard's checks outside a build (https://github.com/MlBuildGuard/MlBuildGuard).");
        root.Subcommands.Add(HashCommand.Create(stdout, stderr));
        root.Subcommands.Add(AuditCommand.Create(stdout, stderr));
        root.Subcommands.Add(ScanCommand.Create(stdout, stderr));
        root.Subcommands.Add(KeygenCommand.Create(stdout, stderr));
        root.Subcommands.Add(SignCommand.Create(stdout, stderr));
        root.Subcommands.Add(VerifyCommand.Create(stdout, stderr));
        root.Subcommands.Add(ValidateCommand.Create(stdout, stderr));
        root.Subcommands.Add(InferSchemaCommand.Create(stdout, stderr));

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                stderr.WriteLine($"mlguard: {error.Message}");
            }

            stderr.WriteLine("Run 'mlguard --help' for usage.");
            return UsageOrIoError;
        }

        return parsed.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr });
    }
}
