using System.Security;

namespace MlBuildGuard.EndToEnd.Tests.Infrastructure;

/// <summary>A throwaway project that references the packed MlBuildGuard from the local feed.</summary>
public sealed class TestProject : IDisposable
{
    private readonly PackagesFixture _packages;

    public TestProject(PackagesFixture packages, string name = "app")
    {
        _packages = packages;
        Directory = Path.Combine(packages.Root, "scenarios", name + "-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(Directory);
        File.WriteAllText(Path.Combine(Directory, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{SecurityElement.Escape(packages.Feed)}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
              <packageSourceMapping>
                <packageSource key="local"><package pattern="MlBuildGuard*" /></packageSource>
                <packageSource key="nuget.org"><package pattern="*" /></packageSource>
              </packageSourceMapping>
              <auditSources><clear /></auditSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(Directory, "Program.cs"), "internal static class Program { private static void Main() { } }\n");
    }

    public string Directory { get; }

    /// <summary>Environment variables for this project's builds only (e.g. its own NUGET_PACKAGES).</summary>
    public Dictionary<string, string?> Environment { get; } = new();

    private IReadOnlyDictionary<string, string?> BuildEnvironment =>
        _packages.Environment.Concat(Environment).GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.Last().Value);

    /// <summary>Replaces the project's nuget.config.</summary>
    public TestProject WithNuGetConfig(string xml)
    {
        File.WriteAllText(Path.Combine(Directory, "nuget.config"), xml);
        return this;
    }

    public string ProjectFile => Path.Combine(Directory, "app.csproj");

    public string LockFile => Path.Combine(Directory, "mlguard.lock.json");

    public string Sarif => Path.Combine(Directory, "obj", "mlguard.sarif");

    /// <summary>
    /// Writes the project file: the package reference, the settings a well-configured project has (a NuGet lock file,
    /// offline vulnerability data), plus <paramref name="body"/> (XML inside &lt;Project&gt;) and <paramref name="properties"/>.
    /// </summary>
    public TestProject WithProject(string body, string targetFrameworks = "net10.0", string properties = "")
    {
        var tfm = targetFrameworks.Contains(';') ? $"<TargetFrameworks>{targetFrameworks}</TargetFrameworks>" : $"<TargetFramework>{targetFrameworks}</TargetFramework>";
        File.WriteAllText(ProjectFile, $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                {tfm}
                <RestorePackagesWithLockFile>true</RestorePackagesWithLockFile>
                <MlGuardOffline>true</MlGuardOffline>
                <MlGuardAdvisoryDatabase>{SecurityElement.Escape(_packages.AdvisoryFolder)}</MlGuardAdvisoryDatabase>
                {properties}
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="MlBuildGuard" Version="{_packages.PackageVersion}" PrivateAssets="all" />
              </ItemGroup>
            {body}
            </Project>
            """);
        return this;
    }

    public string Write(string relative, string content)
    {
        var full = Path.Combine(Directory, relative);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
        return full;
    }

    /// <summary>The 1-based line of the project file on which <paramref name="text"/> first appears.</summary>
    public int LineOf(string text)
    {
        var lines = File.ReadAllLines(ProjectFile);
        var index = Array.FindIndex(lines, l => l.Contains(text, StringComparison.Ordinal));
        return index < 0 ? throw new ArgumentException($"'{text}' is not in the project file") : index + 1;
    }

    public CommandResult Restore() => DotNet.Run(Directory, BuildEnvironment, "restore", "-tl:off", "-nodeReuse:false");

    /// <summary>Runs targets the way an IDE's design-time build does (no restore, compiler not executed).</summary>
    public CommandResult DesignTimeBuild() => DotNet.Run(Directory, BuildEnvironment,
        "msbuild", "-t:ResolveReferences;CoreCompile", "-p:DesignTimeBuild=true", "-p:SkipCompilerExecution=true", "-p:ProvideCommandLineArgs=true",
        "-tl:off", "-nodeReuse:false", "-v:m");

    public CommandResult Build(params string[] arguments) => DotNet.Run(Directory, BuildEnvironment, [.. BuildCommand, .. arguments]);

    /// <summary>Starts a build in its own process group, for a test to kill (<see cref="RunningCommand.KillGroup"/>).</summary>
    public RunningCommand StartBuild(params string[] arguments) => DotNet.StartInOwnGroup(Directory, BuildEnvironment, [.. BuildCommand, .. arguments]);

    private static string[] BuildCommand => ["build", "-tl:off", "-nodeReuse:false", "-clp:NoSummary", "-v:m"];

    public void Dispose()
    {
    }
}
