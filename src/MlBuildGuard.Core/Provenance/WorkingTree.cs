using System.Diagnostics;

namespace MlBuildGuard.Core.Provenance;

/// <summary>
/// Whether the work tree a build ran in differs from its commit (modified, staged, deleted or new files that are not
/// ignored): the provenance then says so, because the commit alone does not describe the sources. Comparing the work tree
/// with the index needs git's own rules (filters, line endings, the index's stat cache), so this asks <c>git status</c>
/// rather than guessing; without git, or outside a repository, the state is unknown (null), never "clean".
/// </summary>
public static class WorkingTree
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static bool? IsDirty(string directory)
    {
        var start = new ProcessStartInfo("git")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        foreach (var argument in new[] { "status", "--porcelain=v1", "-z", "--untracked-files=normal", "--ignore-submodules=none" })
        {
            start.ArgumentList.Add(argument);
        }

        // Read-only: no index refresh written behind the build's back, no prompt, no pager, no user hooks.
        start.Environment["GIT_OPTIONAL_LOCKS"] = "0";
        start.Environment["GIT_TERMINAL_PROMPT"] = "0";
        start.Environment["GIT_PAGER"] = "cat";
        try
        {
            using var process = Process.Start(start);
            if (process is null)
            {
                return null;
            }

            var errors = process.StandardError.ReadToEndAsync();
            var output = process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(Timeout))
            {
                process.Kill(entireProcessTree: true);
                return null;
            }

            _ = errors.Result;
            return process.ExitCode == 0 ? output.Length > 0 : null;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException or InvalidOperationException)
        {
            return null; // git is not installed or cannot run here
        }
    }
}
