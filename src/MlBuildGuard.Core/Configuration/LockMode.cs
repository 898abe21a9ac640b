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
    /// <paramref name="errors"/> receives a text (for MLG002) for each value that is not understood.
    /// </summary>
    public static LockMode Resolve(string? lockMode, string? updateLock, string? continuousIntegrationBuild, out IReadOnlyList<string> errors)
    {
        var problems = new List<string>();
        errors = problems;
        if (!TryParseBool(updateLock, out var update))
        {
            problems.Add($"MlGuardUpdateLock is '{updateLock}'; use true or false");
        }

        if (!TryParseBool(continuousIntegrationBuild, out _))
        {
            problems.Add($"ContinuousIntegrationBuild is '{continuousIntegrationBuild}'; use true or false");
        }

        LockMode? mode = null;
        if (!string.IsNullOrWhiteSpace(lockMode))
        {
            var text = lockMode.Trim();
            if (!char.IsDigit(text[0]) && Enum.TryParse<LockMode>(text, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed))
            {
                mode = parsed;
            }
            else
            {
                problems.Add($"MlGuardLockMode is '{lockMode}'; use Auto, Locked or Update");
            }
        }

        if (update)
        {
            return LockMode.Update;
        }

        if (problems.Count > 0 && mode is null)
        {
            // Fail closed: a mode that cannot be read must not loosen the check.
            return LockMode.Locked;
        }

        return mode ?? (IsTrue(continuousIntegrationBuild) ? LockMode.Locked : LockMode.Auto);
    }

    public static bool IsTrue(string? value) => string.Equals(value?.Trim(), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether a switch that is on unless turned off (<c>MlGuardScanProjectItems</c>) is explicitly <c>false</c>.</summary>
    public static bool IsFalse(string? value) => string.Equals(value?.Trim(), "false", StringComparison.OrdinalIgnoreCase);

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
