using MlBuildGuard.Core.TrainingInputs;
using Microsoft.Build.Framework;

namespace MlBuildGuard.Tasks;

/// <summary>
/// Writes the lock the training-input guard staged, once the build has succeeded (it runs after <c>Build</c>, which a
/// failing build never reaches). See <see cref="LockCommit"/>.
/// </summary>
public sealed class MlGuardCommitLock : Microsoft.Build.Utilities.Task
{
    [Required]
    public string StagedLockFile { get; set; } = "";

    [Required]
    public string LockFile { get; set; } = "";

    public override bool Execute()
    {
        try
        {
            LockCommit.Commit(StagedLockFile, LockFile);
            Log.LogMessage(MessageImportance.High, $"MlBuildGuard: wrote {LockFile}. Commit it.");
        }
        catch (Core.Locking.LockFileException e)
        {
            var rule = Core.Diagnostics.RuleCatalog.LockFileMalformed;
            Log.LogError(null, rule.Code, rule.Code, rule.HelpUri, LockFile, e.Line, e.Column, 0, 0, rule.FormatMessage(Path.GetFileName(LockFile), e.Reason));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or TimeoutException)
        {
            var rule = Core.Diagnostics.RuleCatalog.InternalFailure;
            Log.LogError(null, rule.Code, rule.Code, rule.HelpUri, LockFile, 0, 0, 0, 0, rule.FormatMessage("lock writing", $"{e.GetType().Name}: {e.Message}"));
        }

        return !Log.HasLoggedErrors;
    }
}
