using MlBuildGuard.Core.Dependencies;
using MlBuildGuard.Testing;
using NuGet.Versioning;

namespace MlBuildGuard.Core.Tests.Dependencies;

public class PackageGraphTests
{
    /// <summary>
    /// A restore result as NuGet writes it (version 3), for a project referencing Contoso.App, which depends on
    /// Contoso.Lib; a project reference; and a runtime-specific target.
    /// </summary>
    internal const string AssetsJson = """
        {
          "version": 3,
          "targets": {
            "net10.0": {
              "Contoso.App/1.0.0": {
                "type": "package",
                "dependencies": { "Contoso.Lib": "2.0.0" },
                "compile": { "lib/net10.0/Contoso.App.dll": {} },
                "runtime": { "lib/net10.0/Contoso.App.dll": {} }
              },
              "Contoso.Lib/2.0.0": {
                "type": "package",
                "compile": { "lib/net10.0/Contoso.Lib.dll": {} },
                "runtime": { "lib/net10.0/Contoso.Lib.dll": {} }
              },
              "Other/1.0.0": {
                "type": "project",
                "framework": ".NETCoreApp,Version=v10.0",
                "compile": { "bin/placeholder/Other.dll": {} },
                "runtime": { "bin/placeholder/Other.dll": {} }
              }
            },
            "net10.0/linux-x64": {
              "Contoso.App/1.0.0": {
                "type": "package",
                "dependencies": { "Contoso.Lib": "2.0.0" }
              },
              "Contoso.Lib/2.0.0": { "type": "package" },
              "Other/1.0.0": { "type": "project", "framework": ".NETCoreApp,Version=v10.0" }
            }
          },
          "libraries": {
            "Contoso.App/1.0.0": {
              "sha512": "AppHashAppHash==",
              "type": "package",
              "path": "contoso.app/1.0.0",
              "files": [ "contoso.app.1.0.0.nupkg.sha512", "contoso.app.nuspec", "lib/net10.0/Contoso.App.dll" ]
            },
            "Contoso.Lib/2.0.0": {
              "sha512": "LibHashLibHash==",
              "type": "package",
              "path": "contoso.lib/2.0.0",
              "files": [ "contoso.lib.2.0.0.nupkg.sha512", "contoso.lib.nuspec", "lib/net10.0/Contoso.Lib.dll" ]
            },
            "Other/1.0.0": {
              "type": "project",
              "path": "../Other/Other.csproj",
              "msbuildProject": "../Other/Other.csproj"
            }
          },
          "projectFileDependencyGroups": {
            "net10.0": [ "Contoso.App >= 1.0.0", "Other >= 1.0.0" ]
          },
          "packageFolders": { "/home/user/.nuget/packages/": {} },
          "project": {
            "version": "1.0.0",
            "restore": {
              "projectUniqueName": "/src/App/App.csproj",
              "projectName": "App",
              "projectPath": "/src/App/App.csproj",
              "packagesPath": "/home/user/.nuget/packages/",
              "outputPath": "/src/App/obj/",
              "projectStyle": "PackageReference",
              "originalTargetFrameworks": [ "net10.0" ],
              "sources": { "https://api.nuget.org/v3/index.json": {} },
              "frameworks": {
                "net10.0": {
                  "targetAlias": "net10.0",
                  "projectReferences": {
                    "/src/Other/Other.csproj": { "projectPath": "/src/Other/Other.csproj" }
                  }
                }
              }
            },
            "frameworks": {
              "net10.0": {
                "targetAlias": "net10.0",
                "dependencies": {
                  "Contoso.App": { "target": "Package", "version": "[1.0.0, )" }
                },
                "frameworkReferences": { "Microsoft.NETCore.App": { "privateAssets": "all" } }
              }
            },
            "runtimes": { "linux-x64": { "#import": [] } }
          }
        }
        """;

    [Fact]
    public void From_a_lock_file_knows_direct_and_transitive_packages_with_their_hashes()
    {
        var graph = NuGetLockJson.Graph(
            LockEntry.Direct("Contoso.App", "1.0.0", "Contoso.Lib"),
            LockEntry.Transitive("Contoso.Lib", "2.0.0"),
            new LockEntry("Other", "1.0.0", "Project"));

        Assert.Equal(["net10.0"], graph.TargetNames);
        Assert.Equal(["Contoso.App 1.0.0", "Contoso.Lib 2.0.0"], graph.Packages.Select(p => $"{p.Id} {p.Version}"));
        Assert.True(graph.IsDirect("contoso.app"));
        Assert.False(graph.IsDirect("Contoso.Lib"));
        Assert.False(graph.IsDirect("Other"));
        var app = graph.Target("net10.0")["CONTOSO.APP"];
        Assert.Equal(["Contoso.Lib"], app.DependencyIds);
        Assert.Equal(NuGetLockJson.FakeHash("Contoso.App", "1.0.0"), app.ContentHash);
    }

    [Fact]
    public void Packages_lists_each_id_and_version_once_across_targets()
    {
        var graph = PackageGraph.FromLockFile(NuGetLockJson.Parse(NuGetLockJson.Build(new Dictionary<string, LockEntry[]>
        {
            ["net8.0"] = [LockEntry.Direct("Contoso.App", "1.0.0")],
            ["net10.0"] = [LockEntry.Direct("Contoso.App", "1.0.0"), LockEntry.Direct("Contoso.Extra", "3.0.0")],
            ["net10.0/linux-x64"] = [LockEntry.Direct("Contoso.App", "1.1.0")],
        })));

        Assert.Equal(["Contoso.App 1.0.0", "Contoso.App 1.1.0", "Contoso.Extra 3.0.0"], graph.Packages.Select(p => $"{p.Id} {p.Version}"));
    }

    [Fact]
    public void PathTo_gives_the_shortest_chain_from_a_direct_reference()
    {
        var graph = NuGetLockJson.Graph(
            LockEntry.Direct("A.Root", "1.0.0", "B.Mid"),
            LockEntry.Transitive("B.Mid", "1.0.0", "C.Mid"),
            LockEntry.Transitive("C.Mid", "1.0.0", "D.Leaf"),
            LockEntry.Direct("E.Root", "2.0.0", "F.Mid"),
            LockEntry.Transitive("F.Mid", "1.0.0", "D.Leaf"),
            LockEntry.Transitive("D.Leaf", "4.0.0"));

        Assert.Equal("E.Root 2.0.0 -> F.Mid 1.0.0 -> D.Leaf 4.0.0", graph.PathTo("d.leaf"));
        Assert.Equal("A.Root 1.0.0 -> B.Mid 1.0.0 -> C.Mid 1.0.0", graph.PathTo("C.Mid"));
    }

    [Fact]
    public void PathTo_is_null_for_direct_and_unknown_packages()
    {
        var graph = NuGetLockJson.Graph(
            LockEntry.Direct("A.Root", "1.0.0", "B.Leaf"),
            LockEntry.Transitive("B.Leaf", "1.0.0"),
            LockEntry.Transitive("Orphan", "1.0.0"));

        Assert.Null(graph.PathTo("A.Root"));
        Assert.Null(graph.PathTo("Not.There"));
        Assert.Null(graph.PathTo("Orphan"));
        Assert.Equal("A.Root 1.0.0 -> B.Leaf 1.0.0", graph.PathTo("B.Leaf"));
    }

    [Fact]
    public void PathTo_survives_dependency_cycles()
    {
        var graph = NuGetLockJson.Graph(
            LockEntry.Direct("A.Root", "1.0.0", "B.Mid"),
            LockEntry.Transitive("B.Mid", "1.0.0", "C.Mid"),
            LockEntry.Transitive("C.Mid", "1.0.0", "B.Mid"),
            LockEntry.Transitive("Orphan", "1.0.0"));

        Assert.Null(graph.PathTo("Orphan"));
        Assert.Equal("A.Root 1.0.0 -> B.Mid 1.0.0 -> C.Mid 1.0.0", graph.PathTo("C.Mid"));
    }

    [Fact]
    public void From_an_assets_file_reads_targets_packages_hashes_and_direct_references()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("obj/project.assets.json", AssetsJson);

        var graph = PackageGraph.FromAssetsFile(path);

        Assert.Equal(["net10.0", "net10.0/linux-x64"], graph.TargetNames.Order(StringComparer.Ordinal));
        Assert.Equal(["Contoso.App 1.0.0", "Contoso.Lib 2.0.0"], graph.Packages.Select(p => $"{p.Id} {p.Version}"));
        var target = graph.Target("net10.0");
        Assert.Equal("AppHashAppHash==", target["Contoso.App"].ContentHash);
        Assert.Equal("LibHashLibHash==", target["Contoso.Lib"].ContentHash);
        Assert.Equal(["Contoso.Lib"], target["Contoso.App"].DependencyIds);
        Assert.False(target.ContainsKey("Other"));
        Assert.True(graph.IsDirect("Contoso.App"));
        Assert.False(graph.IsDirect("Contoso.Lib"));
        Assert.Equal("Contoso.App 1.0.0 -> Contoso.Lib 2.0.0", graph.PathTo("Contoso.Lib"));
        Assert.Equal(NuGetVersion.Parse("2.0.0"), graph.Target("net10.0/linux-x64")["Contoso.Lib"].Version);
    }

    [Theory]
    [InlineData("this is not json")]
    [InlineData("{ \"version\": 3, \"targets\": [ ")]
    public void An_unreadable_assets_file_is_a_DependencyDataException(string content)
    {
        using var dir = new TempDirectory();
        var path = dir.Write("project.assets.json", content);

        var e = Assert.Throws<DependencyDataException>(() => PackageGraph.FromAssetsFile(path));

        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unreadable_assets_file_is_MLG104_from_the_guard()
    {
        using var dir = new TempDirectory();
        var assets = dir.Write("obj/project.assets.json", "{ broken");
        var request = new DependencyRequest
        {
            ProjectDirectory = dir.Path,
            ProjectFile = dir.Combine("App.csproj"),
            AssetsFile = assets,
        };

        var result = DependencyGuard.Run(request);

        var finding = Assert.Single(result.Findings, f => f.Code == "MLG104");
        Assert.Equal(assets, finding.Location!.FilePath);
        Assert.Contains("what restore resolved cannot be read", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_guard_compares_the_lock_file_with_the_assets_file()
    {
        using var dir = new TempDirectory();
        var assets = dir.Write("obj/project.assets.json", AssetsJson);
        var lockPath = dir.Write("packages.lock.json", NuGetLockJson.Build(new Dictionary<string, LockEntry[]>
        {
            ["net10.0"] =
            [
                new LockEntry("Contoso.App", "1.0.0", "Direct", "AppHashAppHash==", ["Contoso.Lib"]),
                new LockEntry("Contoso.Lib", "1.9.0", "Transitive", "LibHashLibHash=="),
                new LockEntry("Other", "1.0.0", "Project"),
            ],
            ["net10.0/linux-x64"] =
            [
                new LockEntry("Contoso.App", "1.0.0", "Direct", "AppHashAppHash==", ["Contoso.Lib"]),
                new LockEntry("Contoso.Lib", "2.0.0", "Transitive", "LibHashLibHash=="),
            ],
        }));
        var request = new DependencyRequest
        {
            ProjectDirectory = dir.Path,
            ProjectFile = dir.Combine("App.csproj"),
            AssetsFile = assets,
            NuGetLockFile = lockPath,
            RestorePackagesWithLockFile = "true",
        };

        var result = DependencyGuard.Run(request);

        var finding = Assert.Single(result.Findings, f => f.Code == "MLG104");
        Assert.Equal("Contoso.Lib", finding.Subject);
        Assert.Contains("net10.0: restore resolved Contoso.Lib 2.0.0, the lock file has 1.9.0", finding.Message, StringComparison.Ordinal);
    }
}
