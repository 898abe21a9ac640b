using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace MlBuildGuard.EndToEnd.Tests.Infrastructure;

/// <summary>What one <c>dotnet</c> run printed, with the MlBuildGuard diagnostics parsed out of it.</summary>
public sealed partial record CommandResult(int ExitCode, string Output)
{
    /// <summary>Distinct <c>MLGxxx</c> errors and warnings in the canonical MSBuild format.</summary>
    public IReadOnlyList<Diagnostic> Diagnostics => Canonical().Matches(Output)
        .Select(m => new Diagnostic(m.Groups["kind"].Value, m.Groups["code"].Value, m.Groups["file"].Value.Trim(),
            m.Groups["line"].Success ? int.Parse(m.Groups["line"].Value) : 0,
            m.Groups["col"].Success ? int.Parse(m.Groups["col"].Value) : 0,
            m.Groups["message"].Value.Trim()))
        .Distinct()
        .ToList();

    public IEnumerable<string> Codes(string kind) => Diagnostics.Where(d => d.Kind == kind).Select(d => d.Code).Order();

    public override string ToString() => $"exit code {ExitCode}\n{Output}";

    [GeneratedRegex(@"^\s*(?<file>[^\r\n]*?)(\((?<line>\d+)(,(?<col>\d+))?\))?\s*:\s*(?<kind>error|warning) (?<code>MLG\d{3}):(?<message>[^\r\n]*?)(\s\[[^\r\n\]]*\])?\r?$", RegexOptions.Multiline)]
    private static partial Regex Canonical();
}

public sealed record Diagnostic(string Kind, string Code, string File, int Line, int Column, string Message);

/// <summary>Runs the dotnet CLI out of process, isolated from the test host's MSBuild environment.</summary>
public static class DotNet
{
    /// <summary>The variables by which MlBuildGuard's targets recognise a CI service (MLG502).</summary>
    public static IReadOnlyList<string> CiVariables { get; } =
    [
        "CI", "TF_BUILD", "GITHUB_ACTIONS", "GITLAB_CI", "JENKINS_URL", "TEAMCITY_VERSION", "BUILDKITE", "CIRCLECI", "APPVEYOR",
        "TRAVIS", "CODEBUILD_BUILD_ID", "BITBUCKET_BUILD_NUMBER",
    ];

    public static CommandResult Run(string workingDirectory, IReadOnlyDictionary<string, string?> environment, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The test host runs under `dotnet test`, whose MSBuild variables would leak into the child build.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || k.StartsWith("MSBuild", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(key);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["MLGUARD_SIGNING_KEY"] = null;
        // A CI service running these tests must not make every scenario a "CI build" (MLG502); scenarios set CI themselves.
        foreach (var ci in CiVariables)
        {
            start.Environment.Remove(ci);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var output = new StringBuilder();
        var lockObject = new object();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (lockObject) { output.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (lockObject) { output.AppendLine(e.Data); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet {string.Join(' ', arguments)} did not finish in 5 minutes:\n{output}");
        }

        process.WaitForExit();
        return new CommandResult(process.ExitCode, output.ToString());
    }
}
