using MlBuildGuard.Core.Diagnostics;

namespace MlBuildGuard.Fuzz.Tests;

/// <summary>An outcome a parser must never give, whatever its input.</summary>
internal sealed class FuzzOracleException(string message) : Exception(message);

/// <summary>What every outcome must satisfy: a coded finding or a coded error, never an internal failure or a crash.</summary>
internal static class Oracle
{
    /// <summary>MLG004 is the code of a guard that failed unexpectedly: bad input must get the parser's own code.</summary>
    public static void NoInternalFailure(IEnumerable<Finding> findings)
    {
        if (findings.FirstOrDefault(f => f.Code == RuleCatalog.InternalFailure.Code) is { } failure)
        {
            throw new FuzzOracleException($"MLG004 instead of a coded finding: {failure.Message}");
        }
    }

    /// <summary>The command line ends with a code of SPEC §7 and prints no exception or stack trace.</summary>
    public static void CommandLine(int exitCode, string stdout, string stderr)
    {
        var text = stdout + stderr;
        if (exitCode is not (0 or 1 or 2) || text.Contains("Unhandled exception", StringComparison.Ordinal)
            || text.Split('\n').Any(l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal) && l.Contains(" in ", StringComparison.Ordinal))
            || text.Contains("   at ", StringComparison.Ordinal) || text.Contains("MLG004", StringComparison.Ordinal))
        {
            throw new FuzzOracleException($"exit code {exitCode}: {text.Split('\n').FirstOrDefault(l => l.Length > 0)}");
        }
    }

    /// <summary>Runs <paramref name="parse"/> and lets only the parser's own coded exception through.</summary>
    public static void OnlyThrows<TException>(Action parse)
        where TException : Exception
    {
        try
        {
            parse();
        }
        catch (TException)
        {
        }
    }

    /// <summary>The command line in-process, as a user runs it.</summary>
    public static void Mlguard(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = MlBuildGuard.Tool.Program.Run(args, stdout, stderr);
        CommandLine(code, stdout.ToString(), stderr.ToString());
    }
}
