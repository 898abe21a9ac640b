using System.IO.Compression;
using MlBuildGuard.EndToEnd.Tests.Infrastructure;
using MlBuildGuard.Testing;

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
        // Training-data validation: CSV/TSV, Parquet (with its compression and buffer libraries), YAML schemas, value keys.
        foreach (var dependency in new[]
                 {
                     "Sep", "csFastFloat", "Parquet", "CommunityToolkit.HighPerformance", "Microsoft.IO.RecyclableMemoryStream", "Snappier",
                     "ZstdSharp", "YamlDotNet", "System.IO.Hashing",
                 })
        {
            Assert.Contains($"tasks/net10.0/{dependency}.dll", entries);
        }

        Assert.DoesNotContain(entries, e => Path.GetFileName(e).StartsWith("Microsoft.Build", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(entries, e => e.StartsWith("lib/", StringComparison.Ordinal));
        Assert.DoesNotContain(entries, e => e.StartsWith("buildTransitive/", StringComparison.Ordinal));

        var nuspec = new StreamReader(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open()).ReadToEnd();
        Assert.Contains("<developmentDependency>true</developmentDependency>", nuspec, StringComparison.Ordinal);
        Assert.DoesNotContain("<dependency ", nuspec, StringComparison.Ordinal);
    }

    [LinuxFact]
    public void The_packed_tool_installs_and_mlguard_hash_agrees_with_sha256sum()
    {
        var work = Path.Combine(packages.Root, "tool-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        var config = Path.Combine(work, "nuget.config");
        File.WriteAllText(config, $"<configuration><packageSources><clear /><add key=\"local\" value=\"{packages.Feed}\" /></packageSources></configuration>");
        var install = DotNet.Run(work, packages.Environment, "tool", "install", "MlBuildGuard.Tool", "--version", packages.PackageVersion,
            "--tool-path", Path.Combine(work, "tools"), "--configfile", config);
        Assert.True(install.ExitCode == 0, install.ToString());
        var data = Path.Combine(work, "data");
        Directory.CreateDirectory(data);
        File.WriteAllText(Path.Combine(data, "a.tsv"), "a\t1\n");
        File.WriteAllBytes(Path.Combine(data, "b.bin"), Enumerable.Range(0, 70_000).Select(i => (byte)i).ToArray());

        var mlguard = Run(Path.Combine(work, "tools", "mlguard"), work, "hash", "data");
        var sha256sum = Run("sha256sum", work, "data/a.tsv", "data/b.bin");

        Assert.Equal(0, mlguard.ExitCode);
        Assert.Equal(sha256sum.Output, mlguard.Output);
    }

    private static (int ExitCode, string Output) Run(string file, string workingDirectory, params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output);
    }

    [Fact]
    public void The_tool_package_is_a_dotnet_tool_named_mlguard()
    {
        using var zip = ZipFile.OpenRead(Path.Combine(packages.Feed, $"MlBuildGuard.Tool.{packages.PackageVersion}.nupkg"));
        var settings = zip.Entries.Single(e => e.FullName.EndsWith("DotnetToolSettings.xml", StringComparison.Ordinal));

        Assert.Contains("<Command Name=\"mlguard\"", new StreamReader(settings.Open()).ReadToEnd(), StringComparison.Ordinal);
    }
}
