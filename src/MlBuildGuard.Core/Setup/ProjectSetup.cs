namespace MlBuildGuard.Core.Setup;

/// <summary>One thing <c>mlguard init</c> did, or left alone because the user had already decided it.</summary>
/// <param name="File">The file, relative to the repository (or project) folder.</param>
/// <param name="What">What was added, or what was left as the user set it.</param>
/// <param name="Changed">False when the setting was already there.</param>
public sealed record SetupStep(string File, string What, bool Changed);

public sealed class SetupRequest
{
    /// <summary>The project file to set up.</summary>
    public required string ProjectFile { get; init; }

    /// <summary>The MlBuildGuard package version to reference.</summary>
    public required string PackageVersion { get; init; }

    /// <summary>The .NET SDK version to pin in global.json (the one running here), or null to leave global.json alone.</summary>
    public string? SdkVersion { get; init; }
}

/// <summary>
/// What <c>mlguard init</c> does (SPEC §7): adds to a project the MlBuildGuard package reference and the settings a
/// well-configured project has (a NuGet lock file, locked restore and <c>ContinuousIntegrationBuild</c> on CI, the SDK
/// pinned by global.json, build output ignored by git), never overwriting a value the user set. Running it again
/// changes nothing.
/// </summary>
public static class ProjectSetup
{
    public static IReadOnlyList<SetupStep> Apply(SetupRequest request)
    {
        var project = Path.GetFullPath(request.ProjectFile);
        var projectFolder = Path.GetDirectoryName(project)!;
        var root = RepositoryRoot(projectFolder);
        string Relative(string path) => Path.GetRelativePath(root, path).Replace('\\', '/');

        var steps = new List<SetupStep>();
        var buildProps = NearestAbove(projectFolder, root, "Directory.Build.props") ?? Path.Combine(root, "Directory.Build.props");
        var packagesProps = NearestAbove(projectFolder, root, "Directory.Packages.props");
        steps.AddRange(PackageReference.Add(project, packagesProps, request.PackageVersion, Relative));
        steps.AddRange(BuildSettings.Add(buildProps, project, Relative));
        if (request.SdkVersion is not null)
        {
            steps.Add(GlobalJsonPin.Add(NearestAbove(projectFolder, root, "global.json") ?? Path.Combine(root, "global.json"), request.SdkVersion, Relative));
        }

        steps.Add(GitIgnoreEntries.Add(Path.Combine(root, ".gitignore"), Relative));
        return steps;
    }

    /// <summary>The folder holding <c>.git</c> above the project, or the project's own folder when there is none.</summary>
    public static string RepositoryRoot(string projectFolder)
    {
        for (var dir = new DirectoryInfo(projectFolder); dir is not null; dir = dir.Parent)
        {
            if (Directory.Exists(Path.Combine(dir.FullName, ".git")) || File.Exists(Path.Combine(dir.FullName, ".git")))
            {
                return dir.FullName;
            }
        }

        return projectFolder;
    }

    /// <summary>The file MSBuild (or the SDK) would find walking up from the project folder, no higher than the root.</summary>
    private static string? NearestAbove(string folder, string root, string name)
    {
        for (var dir = new DirectoryInfo(folder); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }

            if (string.Equals(dir.FullName, root, StringComparison.Ordinal))
            {
                break;
            }
        }

        return null;
    }
}
