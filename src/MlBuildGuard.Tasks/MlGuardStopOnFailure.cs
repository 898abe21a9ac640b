using Microsoft.Build.Framework;

namespace MlBuildGuard.Tasks;

/// <summary>
/// Ends the build before compilation when any guard failed. The guards themselves continue on error, so that every
/// finding of the build is reported at once; this task then fails the target without logging an error of its own (the
/// guards' errors already say why), so nothing after it (compilation, a training step) runs on unverified inputs.
/// </summary>
public sealed class MlGuardStopOnFailure : Microsoft.Build.Utilities.Task
{
    /// <summary>True when a guard reported an error in this build.</summary>
    public bool Failed { get; set; }

    public override bool Execute()
    {
        if (!Failed)
        {
            return true;
        }

        if (BuildEngine is IBuildEngine7 engine)
        {
            engine.AllowFailureWithoutError = true;
        }

        Log.LogMessage(MessageImportance.High, "MlBuildGuard: the build stops here because a guard reported errors (see above).");
        return false;
    }
}
