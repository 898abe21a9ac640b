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
        using var command = RunningCommand.Start(StartInfo("dotnet", workingDirectory, environment, arguments));
        // Generous: only a hang should reach it, also on a machine busy with other builds.
        return command.WaitForExit(TimeSpan.FromMinutes(15), "dotnet " + string.Join(' ', arguments));
    }

    /// <summary>Runs another program (an installed tool) with the same isolation as <c>dotnet</c>.</summary>
    public static CommandResult RunProgram(string program, string workingDirectory, IReadOnlyDictionary<string, string?> environment, params string[] arguments)
    {
        using var command = RunningCommand.Start(StartInfo(program, workingDirectory, environment, arguments));
        return command.WaitForExit(TimeSpan.FromMinutes(5), program + " " + string.Join(' ', arguments));
    }

    /// <summary>
    /// Starts <c>dotnet</c> as the leader of its own process group (through <c>setsid</c>), so that a test can kill it and
    /// every process it started at once, as a CI agent or the OOM killer would.
    /// </summary>
    public static RunningCommand StartInOwnGroup(string workingDirectory, IReadOnlyDictionary<string, string?> environment, params string[] arguments) =>
        RunningCommand.Start(StartInfo("setsid", workingDirectory, environment, ["dotnet", .. arguments]));

    /// <summary>How every command of these tests starts: isolated from the test host's MSBuild and CI environment.</summary>
    private static ProcessStartInfo StartInfo(string program, string workingDirectory, IReadOnlyDictionary<string, string?> environment, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(program)
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

        return start;
    }
}

/// <summary>A command running out of process, with what it printed so far.</summary>
public sealed class RunningCommand : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly object _lock = new();

    private RunningCommand(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public static RunningCommand Start(ProcessStartInfo start)
    {
        var process = Process.Start(start)!;
        process.StandardInput.Close();
        return new RunningCommand(process);
    }

    public string Output
    {
        get
        {
            lock (_lock)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Waits until a printed line contains <paramref name="text"/>; false when the command ended or the time ran out first.</summary>
    public bool WaitForLine(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            bool exited;
            lock (_lock)
            {
                if (_output.ToString().Contains(text, StringComparison.Ordinal))
                {
                    return true;
                }

                exited = _process.HasExited;
                if (!exited)
                {
                    Monitor.Wait(_lock, TimeSpan.FromMilliseconds(20));
                }
            }

            if (exited)
            {
                // The process can be gone before its last lines have been read: wait for the end of its output, then look once more.
                _process.WaitForExit();
                lock (_lock)
                {
                    return _output.ToString().Contains(text, StringComparison.Ordinal);
                }
            }
        }

        return false;
    }

    /// <summary>SIGKILL to the command's whole process group (it must have been started through <c>setsid</c>).</summary>
    public void KillGroup()
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-KILL", "--", $"-{_process.Id}"]) { RedirectStandardError = true })!;
        kill.WaitForExit();
        if (kill.ExitCode != 0 && !_process.HasExited)
        {
            throw new InvalidOperationException($"kill -KILL -{_process.Id} failed: {kill.StandardError.ReadToEnd()}");
        }
    }

    public CommandResult WaitForExit(TimeSpan timeout, string what)
    {
        if (!_process.WaitForExit(timeout))
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{what} did not finish in {timeout.TotalMinutes} minutes:\n{Output}");
        }

        _process.WaitForExit(); // the output is read to its end
        return new CommandResult(_process.ExitCode, Output);
    }

    public void Dispose() => _process.Dispose();

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lock)
        {
            _output.AppendLine(line);
            Monitor.PulseAll(_lock);
        }
    }
}
