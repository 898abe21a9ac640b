using System.Text.RegularExpressions;

namespace MlBuildGuard.Core.Dependencies;

/// <summary>
/// Where NuGet's configuration for a project can come from, as <c>Settings.LoadDefaultSettings</c> looks for it: a
/// <c>nuget.config</c> (in any of its three spellings) in the project folder and every folder above it, the user's
/// <c>NuGet.Config</c> and the <c>*.config</c> files of the user's <c>config</c> folder, the machine-wide
/// <c>*.config</c> files, plus every file it did read. Files that do not exist yet are listed too: creating one changes
/// the configuration. Environment variables that the files name as <c>%NAME%</c> change the values NuGet sees.
/// Plain paths only, so a verdict can check them without loading NuGet.
/// </summary>
public sealed partial record NuGetConfigurationFiles(
    IReadOnlyList<string> Files,
    IReadOnlyList<string> Folders,
    IReadOnlyList<string> EnvironmentNames,
    bool Complete)
{
    /// <summary>The spellings NuGet tries in each folder on a case-sensitive file system, in its order.</summary>
    private static readonly string[] FileNames = ["nuget.config", "NuGet.config", "NuGet.Config"];

    /// <param name="projectDirectory">Where NuGet starts looking.</param>
    /// <param name="read">The files NuGet read (<c>ISettings.GetConfigFilePaths</c>).</param>
    /// <param name="userDirectory">NuGet's user settings folder; null when it has none.</param>
    /// <param name="machineDirectory">NuGet's machine-wide configuration folder; null when it has none.</param>
    public static NuGetConfigurationFiles For(string projectDirectory, IEnumerable<string> read, string? userDirectory, string? machineDirectory)
    {
        var files = new List<string>();
        for (var folder = Path.GetFullPath(projectDirectory); folder is not null; folder = Path.GetDirectoryName(folder))
        {
            files.AddRange(FileNames.Select(name => Path.Combine(folder, name)));
        }

        var folders = new List<string>();
        if (!string.IsNullOrEmpty(userDirectory))
        {
            files.Add(Path.Combine(userDirectory, "NuGet.Config"));
            folders.Add(Path.Combine(userDirectory, "config"));
        }

        if (!string.IsNullOrEmpty(machineDirectory))
        {
            folders.Add(machineDirectory);
        }

        var readFiles = read.Select(f => Path.GetFullPath(f)).ToList();
        files.AddRange(readFiles);
        var names = new SortedSet<string>(StringComparer.Ordinal);
        var complete = true;
        foreach (var file in readFiles)
        {
            try
            {
                foreach (Match m in VariableReference().Matches(File.ReadAllText(file)))
                {
                    names.Add(m.Groups["name"].Value);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                complete = false; // what it names is unknown: no verdict may rest on it
            }
        }

        return new NuGetConfigurationFiles(files.Distinct(StringComparer.Ordinal).ToList(), folders, names.ToList(), complete);
    }

    /// <summary><c>%NAME%</c>, as <c>Environment.ExpandEnvironmentVariables</c> expands it in NuGet's values.</summary>
    [GeneratedRegex(@"%(?<name>[^%\s<>""'=]+)%", RegexOptions.CultureInvariant)]
    private static partial Regex VariableReference();
}
