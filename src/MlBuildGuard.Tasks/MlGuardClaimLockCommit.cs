using MlBuildGuard.Core.Locking;
using Microsoft.Build.Framework;

namespace MlBuildGuard.Tasks;

/// <summary>
/// Run by the outer build of a multi-targeted project before it builds the frameworks: takes the project's
/// <see cref="OuterBuildClaim"/>, so each framework build leaves its lock parts to this build, which commits them all
/// together once every framework has built. <see cref="MlGuardCommitLock"/> releases the claim; if the build fails before
/// that, MSBuild disposes it at the end of the build, and the OS when the process ends.
/// </summary>
public sealed class MlGuardClaimLockCommit : Microsoft.Build.Utilities.Task
{
    [Required]
    public string ProjectFile { get; set; } = "";

    [Required]
    public string StateDirectory { get; set; } = "";

    /// <summary>The lock parts this build staged before it builds the frameworks (its training inputs), recorded for their provenance.</summary>
    public ITaskItem[] LockParts { get; set; } = [];

    public override bool Execute()
    {
        if (BuildEngine is not IBuildEngine4 engine)
        {
            return true; // no place to keep the claim: the framework builds commit their own parts
        }

        var key = Key(ProjectFile);
        if (engine.GetRegisteredTaskObject(key, RegisteredTaskObjectLifetime.Build) is null)
        {
            try
            {
                engine.RegisterTaskObject(key, OuterBuildClaim.Take(Path.GetFullPath(StateDirectory)), RegisteredTaskObjectLifetime.Build, allowEarlyCollection: false);
                if (!OuterBuildClaim.RecordParts(Path.GetFullPath(StateDirectory), LockParts.Select(p => p.ItemSpec)))
                {
                    Log.LogMessage(MessageImportance.Normal, "MlBuildGuard: the frameworks' provenance records will name the training inputs of the lock as it stands, not as this build commits it (the list of this build's lock parts could not be written).");
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Without the claim each framework build commits its own parts: still whole, only not in one message.
                Log.LogMessage(MessageImportance.Normal, $"MlBuildGuard: the frameworks will write their parts of the lock themselves ({e.Message}).");
            }
        }

        return true;
    }

    /// <summary>Releases the claim taken for <paramref name="projectFile"/> in this build, if any.</summary>
    internal static void Release(IBuildEngine engine, string projectFile)
    {
        if (engine is IBuildEngine4 engine4 && engine4.UnregisterTaskObject(Key(projectFile), RegisteredTaskObjectLifetime.Build) is IDisposable claim)
        {
            claim.Dispose();
        }
    }

    private static string Key(string projectFile) => "MlBuildGuard.OuterBuildClaim|" + Path.GetFullPath(projectFile);
}
