namespace MlBuildGuard.Testing;

/// <summary>Finds the repository root (the folder holding MlBuildGuard.sln) from the test assembly's location.</summary>
public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string Combine(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MlBuildGuard.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("MlBuildGuard.sln not found above " + AppContext.BaseDirectory);
    }
}
