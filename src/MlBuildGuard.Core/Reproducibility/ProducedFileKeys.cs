using MlBuildGuard.Core.IO;

namespace MlBuildGuard.Core.Reproducibility;

/// <summary>
/// The lock keys of the files a build produces: its models (<c>modelOutputs</c>) and the metrics files its training or
/// evaluation step writes (<c>modelMetrics</c>). SPEC §4: a file under <c>$(OutDir)</c> is keyed relative to it
/// (prefixed with the target framework in a multi-targeted project), so the Debug and Release builds of the same training
/// share one entry; a file elsewhere is keyed relative to the project.
/// </summary>
/// <param name="ProjectDirectory">The project folder (absolute).</param>
/// <param name="OutputDirectory"><c>$(OutDir)</c>; null keys every file relative to the project (tools and tests).</param>
/// <param name="KeyPrefix">Prefixed to keys under <paramref name="OutputDirectory"/>: the target framework, when multi-targeted.</param>
/// <param name="LegacyOutputRoot">
/// <c>$(BaseOutputPath)</c> (default <c>bin/</c>): lock keys under it that end with a file's key are that file's entries
/// under the project-relative keys of earlier versions (<c>bin/Debug/net10.0/model.zip</c>).
/// </param>
public sealed record ProducedFileKeys(string ProjectDirectory, string? OutputDirectory = null, string? KeyPrefix = null, string? LegacyOutputRoot = null)
{
    /// <summary>The lock key of the produced file at <paramref name="fullPath"/>.</summary>
    public string KeyOf(string fullPath)
    {
        if (OutputDirectory is { Length: > 0 })
        {
            var root = Path.GetFullPath(OutputDirectory, ProjectDirectory);
            if (PathSafety.IsUnder(fullPath, root))
            {
                var key = Relative(root, fullPath);
                return KeyPrefix is { Length: > 0 } prefix ? prefix.Trim('/', '\\') + "/" + key : key;
            }
        }

        return ProjectRelative(fullPath);
    }

    /// <summary>The file's path relative to the project, with <c>/</c> separators.</summary>
    public string ProjectRelative(string fullPath) => Relative(ProjectDirectory, fullPath);

    /// <summary>
    /// For each produced file (its key and full path), the keys in <paramref name="lockKeys"/> that are its entries under
    /// older keys, the likeliest first (see <see cref="LegacyKeys.Find"/>). They are read as the file's entry, and the lock
    /// gets the file's own key when it is next written.
    /// </summary>
    public Dictionary<string, List<string>> OlderKeys(IEnumerable<string> lockKeys, IEnumerable<(string Key, string FullPath)> files) =>
        LegacyKeys.Find(lockKeys, [.. files.Select(f => (f.Key, ProjectRelative(f.FullPath)))], LegacyRoot());

    /// <summary>The project-relative folder older keys of files under <c>$(OutDir)</c> start with (<c>bin/</c>), or null.</summary>
    private string? LegacyRoot()
    {
        if (OutputDirectory is not { Length: > 0 } || LegacyOutputRoot is not { Length: > 0 } root)
        {
            return null;
        }

        var relative = ProjectRelative(Path.GetFullPath(root, ProjectDirectory)).TrimEnd('/');
        return relative is "." or "" || relative.StartsWith("../", StringComparison.Ordinal) ? null : relative + "/";
    }

    private static string Relative(string directory, string path) => Path.GetRelativePath(directory, path).Replace('\\', '/');
}
