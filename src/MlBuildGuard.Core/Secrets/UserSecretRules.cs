namespace MlBuildGuard.Core.Secrets;

/// <summary>The rules and global allowlists of a user's gitleaks-format TOML file (<c>MlGuardSecretRules</c>).</summary>
public sealed class UserSecretRules
{
    public IReadOnlyList<SecretRule> Rules { get; init; } = [];

    public IReadOnlyList<SecretAllowlist> GlobalAllowlists { get; init; } = [];
}
