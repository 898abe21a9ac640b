using MlBuildGuard.Testing;

namespace MlBuildGuard.Tool.Tests;

public sealed class InitCommandTests : IDisposable
{
    private const string ConsoleProject = """
        <Project Sdk="Microsoft.NET.Sdk">

          <PropertyGroup>
            <OutputType>Exe</OutputType>
            <TargetFramework>net10.0</TargetFramework>
          </PropertyGroup>

        </Project>

        """;

    private readonly TempDirectory _dir = new();

    public InitCommandTests()
    {
        Directory.CreateDirectory(_dir.Combine(".git"));
        Directory.CreateDirectory(_dir.Combine("src", "churn"));
        File.WriteAllText(Project, ConsoleProject);
    }

    private string Project => _dir.Combine("src", "churn", "churn.csproj");

    public void Dispose() => _dir.Dispose();

    private Dictionary<string, string> Files() => Directory.GetFiles(_dir.Path, "*", SearchOption.AllDirectories)
        .Where(f => !f.Contains(Path.DirectorySeparatorChar + ".git" + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        .ToDictionary(f => Path.GetRelativePath(_dir.Path, f), File.ReadAllText);

    [Fact]
    public void A_new_console_project_gets_the_package_the_lock_settings_the_sdk_pin_and_ignores_at_the_repository_root()
    {
        var (code, stdout, _) = Cli.Run("init", Project);

        Assert.Equal(0, code);
        Assert.Contains("<PackageReference Include=\"MlBuildGuard\" Version=\"", File.ReadAllText(Project), StringComparison.Ordinal);
        Assert.Contains("PrivateAssets=\"all\"", File.ReadAllText(Project), StringComparison.Ordinal);
        var props = File.ReadAllText(_dir.Combine("Directory.Build.props"));
        Assert.Contains("<RestorePackagesWithLockFile>true</RestorePackagesWithLockFile>", props, StringComparison.Ordinal);
        Assert.Contains("<RestoreLockedMode Condition=\"'$(ContinuousIntegrationBuild)' == 'true'\">true</RestoreLockedMode>", props, StringComparison.Ordinal);
        Assert.Contains("<ContinuousIntegrationBuild Condition=\"'$(CI)' == 'true'", props, StringComparison.Ordinal);
        Assert.True(props.IndexOf("<ContinuousIntegrationBuild", StringComparison.Ordinal) < props.IndexOf("<RestoreLockedMode", StringComparison.Ordinal),
            "ContinuousIntegrationBuild must be set before RestoreLockedMode reads it");
        Assert.Matches("\"version\": \"\\d+\\.\\d+\\.\\d+", File.ReadAllText(_dir.Combine("global.json")));
        Assert.Contains("latestPatch", File.ReadAllText(_dir.Combine("global.json")), StringComparison.Ordinal);
        Assert.Contains("obj/", File.ReadAllText(_dir.Combine(".gitignore")), StringComparison.Ordinal);
        Assert.Contains("secrets.MLGUARD_SIGNING_KEY", stdout, StringComparison.Ordinal);
        Assert.Contains("$(MLGUARD_SIGNING_KEY)", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Running_it_again_changes_nothing()
    {
        Assert.Equal(0, Cli.Run("init", Project).ExitCode);
        var first = Files();

        var (code, stdout, _) = Cli.Run("init", Project);

        Assert.Equal(0, code);
        Assert.Equal(first, Files());
        Assert.Contains("Nothing to change", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("changed ", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_value_the_user_set_is_never_overwritten()
    {
        File.WriteAllText(_dir.Combine("Directory.Build.props"), """
            <Project>
              <PropertyGroup>
                <!-- we restore without a lock on purpose -->
                <RestorePackagesWithLockFile>false</RestorePackagesWithLockFile>
              </PropertyGroup>
            </Project>
            """);
        File.WriteAllText(_dir.Combine("global.json"), "{ \"sdk\": { \"version\": \"10.0.100\", \"rollForward\": \"latestFeature\" }, \"msbuild-sdks\": {} }\n");
        File.WriteAllText(_dir.Combine(".gitignore"), "bin/\nobj/\n");

        var (code, stdout, _) = Cli.Run("init", Project);

        Assert.Equal(0, code);
        var props = File.ReadAllText(_dir.Combine("Directory.Build.props"));
        Assert.Contains("<RestorePackagesWithLockFile>false</RestorePackagesWithLockFile>", props, StringComparison.Ordinal);
        Assert.Contains("<!-- we restore without a lock on purpose -->", props, StringComparison.Ordinal);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(props, "<RestorePackagesWithLockFile>"));
        Assert.Contains("RestorePackagesWithLockFile is already set; left as it is", stdout, StringComparison.Ordinal);
        Assert.Contains("\"version\": \"10.0.100\"", File.ReadAllText(_dir.Combine("global.json")), StringComparison.Ordinal);
        Assert.Contains("latestFeature", File.ReadAllText(_dir.Combine("global.json")), StringComparison.Ordinal);
        Assert.Equal(1, File.ReadAllText(_dir.Combine(".gitignore")).Split('\n').Count(l => l == "obj/"));
    }

    [Fact]
    public void With_central_package_management_the_version_goes_to_Directory_Packages_props()
    {
        File.WriteAllText(_dir.Combine("Directory.Packages.props"), """
            <Project>
              <PropertyGroup>
                <ManagePackageVersionsCentrally>true</ManagePackageVersionsCentrally>
              </PropertyGroup>
            </Project>
            """);

        Assert.Equal(0, Cli.Run("init", Project).ExitCode);

        Assert.Contains("<PackageVersion Include=\"MlBuildGuard\" Version=\"", File.ReadAllText(_dir.Combine("Directory.Packages.props")), StringComparison.Ordinal);
        Assert.Contains("<PackageReference Include=\"MlBuildGuard\" PrivateAssets=\"all\" />", File.ReadAllText(Project), StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_with_one_project_is_enough_and_no_or_several_projects_or_a_broken_file_exit_2()
    {
        Assert.Equal(0, Cli.Run("init", _dir.Combine("src", "churn")).ExitCode);

        Assert.Equal(2, Cli.Run("init", _dir.Combine("src")).ExitCode);
        File.WriteAllText(_dir.Combine("src", "churn", "second.csproj"), ConsoleProject);
        Assert.Equal(2, Cli.Run("init", _dir.Combine("src", "churn")).ExitCode);
        File.WriteAllText(Project, "<Project><PropertyGroup>");
        Assert.Equal(2, Cli.Run("init", Project).ExitCode);
        Assert.Equal(2, Cli.Run("init", _dir.Combine("nope.csproj")).ExitCode);
    }
}
