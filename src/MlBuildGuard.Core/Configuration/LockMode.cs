namespace MlBuildGuard.Core.Configuration;

/// <summary>How the lock of training inputs and model outputs is treated (SPEC §3, <c>MlGuardLockMode</c>).</summary>
public enum LockMode
{
    /// <summary>Create the lock when it is missing; fail on drift.</summary>
    Auto,

    /// <summary>Fail when the lock is missing or differs; never write it; re-hash every file.</summary>
    Locked,

    /// <summary>Rewrite the lock and report what changed.</summary>
    Update,
}

public static class LockModeParser
{
    /// <summary>
    /// Resolves the effective mode from <c>MlGuardLockMode</c>, <c>MlGuardUpdateLock</c> and <c>ContinuousIntegrationBuild</c>;
    /// returns an error text (for MLG002) when a value is not understood.
    /// </summary>
    public static LockMode Resolve(string? lockMode, string? updateLock, string? continuousIntegrationBuild, out string? error)
    {
        error = null;
        if (!TryParseBool(updateLock, out var update))
        {
            error = $"MlGuardUpdateLock is '{updateLock}'; use true or false";
        }
        else if (!TryParseBool(continuousIntegrationBuild, out _))
        {
            error = $"ContinuousIntegrationBuild is '{continuousIntegrationBuild}'; use true or false";
        }

        if (update)
        {
            return LockMode.Update;
        }

        if (string.IsNullOrWhiteSpace(lockMode))
        {
            return IsTrue(continuousIntegrationBuild) ? LockMode.Locked : LockMode.Auto;
        }

        if (Enum.TryParse<LockMode>(lockMode.Trim(), ignoreCase: true, out var mode) && Enum.IsDefined(mode) && !char.IsDigit(lockMode.Trim()[0]))
        {
            return mode;
        }

        error ??= $"MlGuardLockMode is '{lockMode}'; use Auto, Locked or Update";
        // Fail closed: an unreadable mode must not loosen the check.
        return LockMode.Locked;
    }

    public static bool IsTrue(string? value) => string.Equals(value?.Trim(), "true", StringComparison.OrdinalIgnoreCase);

    public static bool TryParseBool(string? value, out bool result)
    {
        result = false;
        if (string.IsNullOrWhiteSpace(value))
        {
            return true;
        }

        return bool.TryParse(value.Trim(), out result);
    }
}
