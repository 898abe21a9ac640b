using System.CommandLine;
using MlBuildGuard.Tool.Commands;

namespace MlBuildGuard.Tool;

public static class Program
{
    /// <summary>Exit code for usage and I/O errors (SPEC §7).</summary>
    public const int UsageOrIoError = 2;

    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>The command tree: every command and option of <c>mlguard</c>.</summary>
    public static RootCommand CreateRoot(TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("mlguard: MlBuildGuard's checks outside a build (https://github.com/MlBuildGuard/MlBuildGuard).");
        root.Subcommands.Add(HashCommand.Create(stdout, stderr));
        root.Subcommands.Add(AuditCommand.Create(stdout, stderr));
        root.Subcommands.Add(ScanCommand.Create(stdout, stderr));
        root.Subcommands.Add(KeygenCommand.Create(stdout, stderr));
        root.Subcommands.Add(SignCommand.Create(stdout, stderr));
        root.Subcommands.Add(VerifyCommand.Create(stdout, stderr));
        root.Subcommands.Add(InitCommand.Create(stdout, stderr));
        root.Subcommands.Add(SecretsCommand.Create(stdout, stderr));
        root.Subcommands.Add(ValidateCommand.Create(stdout, stderr));
        root.Subcommands.Add(InferSchemaCommand.Create(stdout, stderr));
        return root;
    }

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var root = CreateRoot(stdout, stderr);

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

        try
        {
            return parsed.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The last resort, as MLG004 is in the build: one line with the cause, never a stack trace.
            var rule = Core.Diagnostics.RuleCatalog.InternalFailure;
            var cause = $"{e.GetType().Name}: {e.Message}".Split('\n')[0].TrimEnd('\r');
            stderr.WriteLine($"mlguard: error {rule.Code}: {rule.FormatMessage("mlguard " + (args.Length > 0 ? args[0] : ""), cause)}");
            return UsageOrIoError;
        }
    }
}
