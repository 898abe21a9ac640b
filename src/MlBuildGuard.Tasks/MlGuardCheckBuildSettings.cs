using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Reproducibility;

namespace MlBuildGuard.Tasks;

/// <summary>MLG501, MLG502, MLG504: the build settings a reproducible model depends on; the logic is <see cref="BuildSettingsRules"/>.</summary>
public sealed class MlGuardCheckBuildSettings : MlGuardTask
{
    /// <summary><c>$(Deterministic)</c>.</summary>
    public string? Deterministic { get; set; }

    /// <summary><c>$(ContinuousIntegrationBuild)</c>.</summary>
    public string? ContinuousIntegrationBuild { get; set; }

    /// <summary>The name of the CI variable the targets found set (as an MSBuild property), or empty off CI.</summary>
    public string? CiIndicator { get; set; }

    /// <summary><c>$(NETCoreSdkVersion)</c>, suggested as the version to pin.</summary>
    public string? SdkVersion { get; set; }

    /// <summary>Files where a <c>Deterministic</c> setting may be declared (for its line).</summary>
    public string[] DeclaringFiles { get; set; } = [];

    protected override string GuardName => "build-settings";

    protected override void Run(List<Finding> findings) => findings.AddRange(BuildSettingsRules.Check(new BuildSettings
    {
        ProjectDirectory = ProjectDirectory,
        ProjectFile = FullPath(ProjectFile),
        Deterministic = Deterministic,
        ContinuousIntegrationBuild = ContinuousIntegrationBuild,
        CiIndicator = NullIfEmpty(CiIndicator),
        SdkVersion = SdkVersion,
        DeclaringFiles = DeclaringFiles.Where(f => !string.IsNullOrWhiteSpace(f)).Select(FullPath).ToArray(),
    }));
}
