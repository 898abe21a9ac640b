namespace MlBuildGuard.Tasks;

/// <summary>What the MSBuild command line of this process says, where MSBuild does not tell tasks itself.</summary>
internal static class CommandLine
{
    /// <summary>Whether the arguments hold a bare <c>-warnaserror</c> (every warning an error), in any of MSBuild's spellings.</summary>
    public static bool PromotesAllWarnings(IEnumerable<string> arguments) => arguments.Any(a =>
        a.TrimStart('-', '/').ToLowerInvariant() is "warnaserror" or "warnaserror+" or "err" or "err+");
}
