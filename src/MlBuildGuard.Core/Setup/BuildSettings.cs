namespace MlBuildGuard.Core.Setup;

/// <summary>
/// The settings restore must see, so they go in Directory.Build.props: a NuGet lock file (MLG102), locked restore on CI
/// (MLG103), and <c>ContinuousIntegrationBuild</c> on the well-known CI services, which also makes MlBuildGuard check
/// in Locked mode there. A property the user already sets, in that file or in the project, is left as it is.
/// </summary>
internal static class BuildSettings
{
    private const string OnCi = "'$(CI)' == 'true' or '$(TF_BUILD)' == 'true' or '$(GITHUB_ACTIONS)' == 'true' or '$(GITLAB_CI)' == 'true'";

    private static readonly (string Name, string Value, string? Condition, string Why)[] Settings =
    [
        ("ContinuousIntegrationBuild", "true", OnCi, "deterministic CI builds, checked in Locked mode"),
        ("RestorePackagesWithLockFile", "true", null, "packages.lock.json pins every package with its hash, MLG102"),
        ("RestoreLockedMode", "true", "'$(ContinuousIntegrationBuild)' == 'true'", "CI restores exactly the locked packages, MLG103"),
    ];

    public static IEnumerable<SetupStep> Add(string buildProps, string project, Func<string, string> relative)
    {
        var props = MsBuildXml.Load(buildProps);
        var projectXml = MsBuildXml.Load(project);
        var missing = Settings.Where(s => !props.HasProperty(s.Name) && !projectXml.HasProperty(s.Name)).ToList();
        foreach (var (name, _, _, _) in Settings.Except(missing))
        {
            yield return new SetupStep(relative(buildProps), $"{name} is already set; left as it is", false);
        }

        if (missing.Count == 0)
        {
            yield break;
        }

        props.AddPropertyGroup("MlBuildGuard: lock the packages, and lock them harder on CI (restore reads these, so they live here).",
            missing.Select(s => (s.Name, s.Value, s.Condition)));
        props.Save(buildProps);
        foreach (var (name, value, condition, why) in missing)
        {
            yield return new SetupStep(relative(buildProps), $"{(props.Existed ? "added" : "created with")} {name}={value}{(condition is null ? "" : " on CI")} ({why})", true);
        }
    }
}
