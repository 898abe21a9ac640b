using System.IO.Compression;
using MlBuildGuard.EndToEnd.Tests.Infrastructure;

namespace MlBuildGuard.EndToEnd.Tests;

[Collection(PackagesCollection.Name)]
public sealed class PackageLayoutTests(PackagesFixture packages)
{
    [Fact]
    public void The_task_package_carries_its_tasks_and_dependencies_but_no_msbuild_assemblies()
    {
        using var zip = ZipFile.OpenRead(Path.Combine(packages.Feed, $"MlBuildGuard.{packages.PackageVersion}.nupkg"));
        var entries = zip.Entries.Select(e => e.FullName).ToList();

        Assert.Contains("build/MlBuildGuard.props", entries);
        Assert.Contains("build/MlBuildGuard.targets", entries);
        Assert.Contains("buildMultiTargeting/MlBuildGuard.props", entries);
        Assert.Contains("buildMultiTargeting/MlBuildGuard.targets", entries);
        Assert.Contains("tasks/net10.0/MlBuildGuard.Tasks.dll", entries);
        Assert.Contains("tasks/net10.0/MlBuildGuard.Tasks.deps.json", entries);
        Assert.Contains("tasks/net10.0/MlBuildGuard.Core.dll", entries);
        Assert.DoesNotContain(entries, e => Path.GetFileName(e).StartsWith("Microsoft.Build", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(entries, e => e.StartsWith("lib/", StringComparison.Ordinal));
        Assert.DoesNotContain(entries, e => e.StartsWith("buildTransitive/", StringComparison.Ordinal));

        var nuspec = new StreamReader(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open()).ReadToEnd();
        Assert.Contains("<developmentDependency>true</developmentDependency>", nuspec, StringComparison.Ordinal);
        Assert.DoesNotContain("<dependency ", nuspec, StringComparison.Ordinal);
    }

    [Fact]
    public void The_tool_package_is_a_dotnet_tool_named_mlguard()
    {
        using var zip = ZipFile.OpenRead(Path.Combine(packages.Feed, $"MlBuildGuard.Tool.{packages.PackageVersion}.nupkg"));
        var settings = zip.Entries.Single(e => e.FullName.EndsWith("DotnetToolSettings.xml", StringComparison.Ordinal));

        Assert.Contains("<Command Name=\"mlguard\"", new StreamReader(settings.Open()).ReadToEnd(), StringComparison.Ordinal);
    }
}
