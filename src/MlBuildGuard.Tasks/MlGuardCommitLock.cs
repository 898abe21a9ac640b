using MlBuildGuard.Core.Configuration;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Locking;
using Microsoft.Build.Framework;

namespace MlBuildGuard.Tasks;

/// <summary>
/// Writes the build's lock, once, after the build has succeeded (it runs after <c>Build</c> and after the project's own
/// steps after it, which a failing build never gets past): every part the guards staged is applied together
/// (<see cref="LockCommit"/>), and the build says so in one message. In a multi-targeted project the outer build commits
/// its part and every framework's; a framework build leaves its parts to the outer build when one is running.
/// </summary>
public sealed class MlGuardCommitLock : MlGuardTask
{
    /// <summary>The staged parts of this build (<c>@(_MlGuardLockPart)</c>), the frameworks' ones included in an outer build.</summary>
    public ITaskItem[] LockParts { get; set; } = [];

    [Required]
    public string LockFile { get; set; } = "";

    public string? LockMode { get; set; }

    public string? UpdateLock { get; set; }

    public string? ContinuousIntegrationBuild { get; set; }

    /// <summary><c>$(_MlGuardLockRole)</c>: see <see cref="LockRoles"/>.</summary>
    public string? LockRole { get; set; }

    /// <summary><c>obj/mlguard/</c>, where an outer build's claim lives.</summary>
    public string? StateDirectory { get; set; }

    protected override string GuardName => "lock";

    protected override void Run(List<Finding> findings)
    {
        var stateDirectory = string.IsNullOrEmpty(StateDirectory) ? null : FullPath(StateDirectory);
        if (LockRoles.LeftToOuterBuild(LockRole, stateDirectory))
        {
            Log.LogMessage(MessageImportance.Low, "MlBuildGuard: this framework's part of the lock is committed by the project's outer build.");
            return;
        }

        var lockPath = FullPath(LockFile);
        var lockName = Path.GetRelativePath(ProjectDirectory, lockPath).Replace('\\', '/') is var relative && !relative.StartsWith("../", StringComparison.Ordinal) ? relative : lockPath;
        if (LockParts.Length > 0 && PromotedWarnings() is { Count: > 0 } promoted)
        {
            // The build fails (MSBuild turned these warnings into errors when it printed them), and a failing build writes nothing.
            foreach (var part in LockParts)
            {
                StagedLockPart.Discard(FullPath(part.ItemSpec));
            }

            Log.LogMessage(MessageImportance.High, $"MlBuildGuard: {lockName} was not written: the build counts the warnings {string.Join(", ", promoted)} as errors.");
            return;
        }

        try
        {
            var result = LockCommit.Commit([.. LockParts.Select(p => FullPath(p.ItemSpec))], lockPath, CancellationToken);
            foreach (var line in result.Story(lockName))
            {
                Log.LogMessage(MessageImportance.High, "MlBuildGuard: " + line);
            }

            var mode = LockModeParser.Resolve(LockMode, UpdateLock, ContinuousIntegrationBuild, out _);
            if (mode == Core.Configuration.LockMode.Update && result.Outcome is LockCommitOutcome.NothingStaged or LockCommitOutcome.Unchanged)
            {
                Log.LogMessage(MessageImportance.High, $"MlBuildGuard: {lockName} is up to date.");
            }
        }
        catch (LockFileException e)
        {
            findings.Add(Finding.Create(RuleCatalog.LockFileMalformed, new SourceLocation(lockPath, e.Line, e.Column), lockName, lockName, e.Reason));
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException or TimeoutException)
        {
            findings.Add(Finding.Create(RuleCatalog.InternalFailure, new SourceLocation(lockPath), null, "lock writing",
                $"{lockName} was not written: {OneLine(e)}"));
        }
        finally
        {
            if (string.Equals(LockRole, LockRoles.Outer, StringComparison.OrdinalIgnoreCase))
            {
                MlGuardClaimLockCommit.Release(BuildEngine, ProjectFile);
            }
        }
    }

    /// <summary>
    /// MlBuildGuard warnings of this build that the build counts as errors. A warning the build promotes through
    /// <c>WarningsAsErrors</c> or <c>-warnaserror:CODE</c> already failed its guard; a bare <c>-warnaserror</c> is applied by
    /// MSBuild only when it prints the warning and is not reported to tasks once the project names warnings of its own to
    /// promote (the SDK names NU1605), so it is read from the command line of this build.
    /// </summary>
    private List<string> PromotedWarnings()
    {
        if (string.IsNullOrEmpty(FindingsDirectory))
        {
            return [];
        }

        var warnings = Core.Reporting.FindingStore.ReadAll(SarifSources(FullPath(FindingsDirectory)))
            .Where(r => r.Level == Core.Reporting.FindingRecord.LevelWarning)
            .Select(r => r.Code)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
        return warnings.Count == 0 ? [] : CommandLine.PromotesAllWarnings(Environment.GetCommandLineArgs()) ? warnings : warnings.Where(WarningIsError).ToList();
    }
}
