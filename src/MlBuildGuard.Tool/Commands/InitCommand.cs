using System.CommandLine;
using System.Diagnostics;
using MlBuildGuard.Core.Setup;

namespace MlBuildGuard.Tool.Commands;

/// <summary>
/// <c>mlguard init [PROJECT]</c>: adds the MlBuildGuard package reference and the recommended settings to a project (SPEC §7),
/// prints what it changed and what it left as the user had set it, then a CI snippet. Never overwrites a user's value;
/// running it again changes nothing. Exit 0, or 2 on a usage or I/O error.
/// </summary>
public static class InitCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var project = new Argument<string?>("PROJECT") { Description = "The project file or its folder (default: the only project in the current folder).", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("init", "Add MlBuildGuard and the recommended settings to a project.") { project };
        command.SetAction(r => Run(r.GetValue(project), stdout, stderr));
        return command;
    }

    public static int Run(string? project, TextWriter stdout, TextWriter stderr)
    {
        var file = FindProject(project ?? Directory.GetCurrentDirectory(), stderr);
        if (file is null)
        {
            return Program.UsageOrIoError;
        }

        IReadOnlyList<SetupStep> steps;
        try
        {
            steps = ProjectSetup.Apply(new SetupRequest
            {
                ProjectFile = file,
                PackageVersion = PackageVersion(),
                SdkVersion = SdkVersion(Path.GetDirectoryName(file)!),
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or System.Xml.XmlException)
        {
            stderr.WriteLine($"mlguard: {e.Message}");
            return Program.UsageOrIoError;
        }

        foreach (var step in steps)
        {
            stdout.WriteLine($"{(step.Changed ? "changed" : "kept   ")}  {step.File}: {step.What}");
        }

        stdout.WriteLine(steps.Any(s => s.Changed)
            ? "\nCommit these files. The first build writes mlguard.lock.json and packages.lock.json: commit them too."
            : "\nNothing to change: the project is set up.");
        stdout.WriteLine();
        stdout.WriteLine(CiSnippets.GitHubActions);
        stdout.WriteLine();
        stdout.WriteLine(CiSnippets.AzurePipelines);
        return 0;
    }

    private static string? FindProject(string path, TextWriter stderr)
    {
        if (File.Exists(path))
        {
            return Path.GetFullPath(path);
        }

        if (!Directory.Exists(path))
        {
            stderr.WriteLine($"mlguard: {path}: No such file or directory");
            return null;
        }

        var projects = Directory.GetFiles(path, "*.*proj").Where(p => p.EndsWith("proj", StringComparison.OrdinalIgnoreCase)).ToList();
        if (projects.Count != 1)
        {
            stderr.WriteLine(projects.Count == 0
                ? $"mlguard: {path} holds no project file; name one: mlguard init PROJECT"
                : $"mlguard: {path} holds {projects.Count} project files; name one: mlguard init PROJECT");
            return null;
        }

        return Path.GetFullPath(projects[0]);
    }

    /// <summary>The package version matching this tool (the two packages are released together).</summary>
    private static string PackageVersion()
    {
        var informational = typeof(InitCommand).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion;
        return informational?.Split('+')[0] ?? typeof(InitCommand).Assembly.GetName().Version!.ToString(3);
    }

    /// <summary>The SDK `dotnet` resolves in the project's folder, or null when it cannot be asked.</summary>
    private static string? SdkVersion(string folder)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("dotnet", "--version")
            {
                WorkingDirectory = folder,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (process is null)
            {
                return null;
            }

            var output = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit();
            return process.ExitCode == 0 && System.Text.RegularExpressions.Regex.IsMatch(output, @"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$") ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
