using MlBuildGuard.Core.Reproducibility;

namespace MlBuildGuard.Tasks;

/// <summary>
/// A guard over files the build produces (its models, the metrics files of its training or evaluation step), which the
/// lock keys as SPEC §4 says (<see cref="ProducedFileKeys"/>): relative to <c>$(OutDir)</c>, framework-prefixed in a
/// multi-targeted project, with the project-relative keys of earlier versions recognised under <c>$(BaseOutputPath)</c>.
/// </summary>
public abstract class MlGuardProducedFilesTask : MlGuardTask
{
    /// <summary><c>$(TargetFramework)</c>: the key prefix in a multi-targeted project, and the name of its part of the lock.</summary>
    public string? TargetFramework { get; set; }

    /// <summary><c>$(OutDir)</c>: files under it are keyed relative to it in the lock (SPEC §4).</summary>
    public string? OutputDirectory { get; set; }

    /// <summary>True in a multi-targeted project's framework build: keys under <c>$(OutDir)</c> start with the framework.</summary>
    public bool MultiTargeted { get; set; }

    /// <summary><c>$(BaseOutputPath)</c>, under which the project-relative keys of earlier versions are recognised.</summary>
    public string? BaseOutputPath { get; set; }

    /// <summary>How this build keys its produced files in the lock.</summary>
    protected ProducedFileKeys Keys() => new(ProjectDirectory, FullPathOrNull(OutputDirectory), MultiTargeted ? NullIfEmpty(TargetFramework) : null,
        FullPathOrNull(BaseOutputPath));
}
