using MlBuildGuard.Core.Hashing;

namespace MlBuildGuard.Tool.Commands;

/// <summary>
/// Hashing progress for a person at a terminal: one line on stderr, rewritten in place, ending with the throughput. When
/// stderr is redirected (a pipe, a file, a CI log) or is not the process's own, nothing extra is written.
/// </summary>
public static class TerminalProgress
{
    /// <summary>A progress log for <paramref name="command"/>, or one that counts silently when stderr is not a terminal.</summary>
    public static HashProgressLog For(string command, TextWriter stderr)
    {
        var interactive = ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected;
        if (!interactive)
        {
            return new HashProgressLog(command, _ => { }, threshold: long.MaxValue);
        }

        return new HashProgressLog(command, line =>
        {
            lock (stderr)
            {
                // Carriage return and erase-to-end-of-line: the next line replaces this one; the last one ("hashed … in …") stays.
                stderr.Write("\r\u001b[K" + line + (line.Contains(" in ", StringComparison.Ordinal) ? "\n" : ""));
                stderr.Flush();
            }
        }, threshold: 64L * 1000 * 1000);
    }
}
