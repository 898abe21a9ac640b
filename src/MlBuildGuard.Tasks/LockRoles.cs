using MlBuildGuard.Core.Locking;

namespace MlBuildGuard.Tasks;

/// <summary>
/// Which build of a project commits its lock (<c>$(_MlGuardLockRole)</c>, set by the targets): a single-framework project
/// commits its own parts (<c>self</c>); a multi-targeted project's <c>outer</c> build commits its own part (the training
/// inputs) together with every framework's, once all of them have built; a <c>framework</c> build of it does so itself
/// only when no outer build of the project is running (<c>dotnet build -f</c>, a project reference).
/// </summary>
internal static class LockRoles
{
    public const string Outer = "outer";
    public const string Framework = "framework";

    /// <summary>Whether this build's parts are committed by the outer build that is running now.</summary>
    public static bool LeftToOuterBuild(string? role, string? stateDirectory) =>
        string.Equals(role, Framework, StringComparison.OrdinalIgnoreCase) && stateDirectory is not null && OuterBuildClaim.IsHeld(stateDirectory);

    /// <summary>Whether this build records the training inputs (the outer build did, before the frameworks built).</summary>
    public static bool RecordsTrainingInputs(string? role, string? stateDirectory) => !LeftToOuterBuild(role, stateDirectory);
}
