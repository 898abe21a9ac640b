using System.CommandLine;
using System.Text;
using MlBuildGuard.Core.Hashing;

namespace MlBuildGuard.Tool.Commands;

/// <summary>
/// <c>mlguard hash PATH…</c>: SHA-256 of files (folders recursively, in ordinal path order), one line each in the exact
/// format of <c>sha256sum</c>, so <c>sha256sum -c</c> accepts the output. Files are hashed on every core.
/// </summary>
public static class HashCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var paths = new Argument<string[]>("PATH")
        {
            Description = "Files or folders to hash.",
            Arity = ArgumentArity.OneOrMore,
        };
        var command = new Command("hash", "Print the SHA-256 of files, as sha256sum does.") { paths };
        command.SetAction(result => Run(result.GetValue(paths)!, stdout, stderr));
        return command;
    }

    public static int Run(IReadOnlyList<string> arguments, TextWriter stdout, TextWriter stderr)
    {
        var failed = false;
        var files = new List<string>();
        foreach (var argument in arguments)
        {
            if (Directory.Exists(argument))
            {
                try
                {
                    files.AddRange(FileWalk.Files(argument, stderr));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    stderr.WriteLine($"mlguard: {argument}: {e.Message}");
                    failed = true;
                }
            }
            else
            {
                files.Add(argument);
            }
        }

        FileHashResult[] results;
        using (var progress = TerminalProgress.For("mlguard hash", stderr))
        {
            // Only digests are printed, so the private-key search of the build's hashing pass is left out.
            results = FileSetHasher.Hash(files, cache: null, progress: progress.Progress, detectPrivateKeys: false);
        }

        var output = new StringBuilder();
        foreach (var r in results)
        {
            if (r.Digest is { } digest)
            {
                output.Append(FormatLine(digest.Hex, r.FullPath)).Append('\n');
            }
            else
            {
                stderr.WriteLine($"mlguard: {r.FullPath}: {(r.Missing ? "No such file or directory" : r.Error)}");
                failed = true;
            }
        }

        stdout.Write(output.ToString());
        stdout.Flush();
        return failed ? Program.UsageOrIoError : 0;
    }

    /// <summary>
    /// One line as GNU sha256sum writes it: <c>&lt;hex&gt;  &lt;name&gt;</c>; a name with a backslash, newline or carriage return
    /// is escaped and the line starts with a backslash.
    /// </summary>
    public static string FormatLine(string hex, string path)
    {
        if (path.IndexOfAny(['\\', '\n', '\r']) < 0)
        {
            return $"{hex}  {path}";
        }

        var escaped = path.Replace("\\", "\\\\").Replace("\n", "\\n").Replace("\r", "\\r");
        return $"\\{hex}  {escaped}";
    }
}
