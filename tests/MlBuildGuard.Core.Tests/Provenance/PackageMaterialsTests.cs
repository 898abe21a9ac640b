using System.Security.Cryptography;
using System.Text;
using MlBuildGuard.Core.Dependencies;
using MlBuildGuard.Core.Provenance;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests.Provenance;

/// <summary>Packages for provenance from a synthetic <c>project.assets.json</c> and a fake global packages folder.</summary>
public sealed class PackageMaterialsTests
{
    private const string AssetsJson = """
        {
          "version": 3,
          "targets": {
            "net10.0": {
              "zeta.tool/1.0.0": { "type": "package" },
              "Contoso.App/1.0.0": { "type": "package", "dependencies": { "Contoso.Lib": "2.0.0-Beta.1" } },
              "Contoso.Lib/2.0.0-Beta.1": { "type": "package" },
              "Other/1.0.0": { "type": "project", "framework": ".NETCoreApp,Version=v10.0" }
            },
            "net8.0": {
              "Contoso.App/1.0.0": { "type": "package", "dependencies": { "Contoso.Lib": "2.0.0-Beta.1" } },
              "Contoso.Lib/2.0.0-Beta.1": { "type": "package" },
              "Contoso.Lib/10.0.0": { "type": "package" }
            }
          },
          "libraries": {
            "zeta.tool/1.0.0": { "sha512": "WmV0YUhhc2g=", "type": "package", "path": "zeta.tool/1.0.0", "files": [] },
            "Contoso.App/1.0.0": { "sha512": "QXBwSGFzaA==", "type": "package", "path": "contoso.app/1.0.0", "files": [] },
            "Contoso.Lib/2.0.0-Beta.1": { "sha512": "TGliSGFzaA==", "type": "package", "path": "contoso.lib/2.0.0-beta.1", "files": [] },
            "Contoso.Lib/10.0.0": { "type": "package", "path": "contoso.lib/10.0.0", "files": [] },
            "Other/1.0.0": { "type": "project", "path": "../Other/Other.csproj", "msbuildProject": "../Other/Other.csproj" }
          },
          "projectFileDependencyGroups": {
            "net10.0": [ "Contoso.App >= 1.0.0", "zeta.tool >= 1.0.0", "Other >= 1.0.0" ],
            "net8.0": [ "Contoso.App >= 1.0.0" ]
          },
          "packageFolders": { "/home/user/.nuget/packages/": {} },
          "project": {
            "version": "1.0.0",
            "restore": {
              "projectUniqueName": "/src/App/App.csproj",
              "projectName": "App",
              "projectPath": "/src/App/App.csproj",
              "outputPath": "/src/App/obj/",
              "projectStyle": "PackageReference",
              "originalTargetFrameworks": [ "net10.0", "net8.0" ],
              "frameworks": { "net10.0": { "targetAlias": "net10.0" }, "net8.0": { "targetAlias": "net8.0" } }
            },
            "frameworks": {
              "net10.0": {
                "targetAlias": "net10.0",
                "dependencies": {
                  "Contoso.App": { "target": "Package", "version": "[1.0.0, )" },
                  "zeta.tool": { "target": "Package", "version": "[1.0.0, )" }
                }
              },
              "net8.0": {
                "targetAlias": "net8.0",
                "dependencies": { "Contoso.App": { "target": "Package", "version": "[1.0.0, )" } }
              }
            }
          }
        }
        """;

    private static byte[] Sha512Of(string text) => SHA512.HashData(Encoding.UTF8.GetBytes(text));

    [Fact]
    public void Reads_every_package_with_file_digest_content_hash_and_directness()
    {
        using var temp = new TempDirectory("mlguard-pkgs");
        var assets = temp.Write("obj/project.assets.json", AssetsJson);
        temp.Write("packages/contoso.app/1.0.0/contoso.app.1.0.0.nupkg.sha512", Convert.ToBase64String(Sha512Of("app")) + "\n");
        temp.Write("packages/contoso.lib/2.0.0-beta.1/contoso.lib.2.0.0-beta.1.nupkg.sha512", Convert.ToBase64String(Sha512Of("lib")));
        temp.Write("packages/contoso.lib/10.0.0/contoso.lib.10.0.0.nupkg.sha512", "this is not base64!");
        // zeta.tool has no .nupkg.sha512 at all.

        var packages = PackageMaterials.Read(assets, temp.Combine("packages"));

        Assert.Equal(
            [
                new PackageMaterial("Contoso.App", "1.0.0", Convert.ToHexStringLower(Sha512Of("app")), "QXBwSGFzaA==", Direct: true),
                new PackageMaterial("Contoso.Lib", "2.0.0-Beta.1", Convert.ToHexStringLower(Sha512Of("lib")), "TGliSGFzaA==", Direct: false),
                new PackageMaterial("Contoso.Lib", "10.0.0", null, null, Direct: false),
                new PackageMaterial("zeta.tool", "1.0.0", null, "WmV0YUhhc2g=", Direct: true),
            ],
            packages);
    }

    [Fact]
    public void A_digest_of_the_wrong_length_is_not_reported()
    {
        using var temp = new TempDirectory("mlguard-pkgs");
        temp.Write("packages/a/1.0.0/a.1.0.0.nupkg.sha512", Convert.ToBase64String(SHA256.HashData("a"u8)));

        Assert.Null(PackageMaterials.ReadSha512Hex(temp.Combine("packages"), "A", "1.0.0"));
    }

    [Fact]
    public void Without_a_packages_folder_no_file_digest_is_reported()
    {
        using var temp = new TempDirectory("mlguard-pkgs");
        var assets = temp.Write("obj/project.assets.json", AssetsJson);

        Assert.All(PackageMaterials.Read(assets, ""), p => Assert.Null(p.Sha512Hex));
    }

    [Fact]
    public void An_unreadable_assets_file_is_a_DependencyDataException()
    {
        using var temp = new TempDirectory("mlguard-pkgs");
        var assets = temp.Write("obj/project.assets.json", "{ broken");

        Assert.Throws<DependencyDataException>(() => PackageMaterials.Read(assets, temp.Combine("packages")));
    }

    [Fact]
    public void The_package_graph_resolves_each_dependency_to_the_version_restore_chose_in_its_target()
    {
        using var temp = new TempDirectory("mlguard-pkgs");
        var assets = temp.Write("obj/project.assets.json", AssetsJson);

        var graph = PackageMaterials.Dependencies(assets);

        // net10.0 resolved Contoso.Lib 2.0.0-Beta.1 for Contoso.App, net8.0 resolved 10.0.0: both edges are recorded.
        Assert.Equal(["pkg:nuget/Contoso.Lib@10.0.0", "pkg:nuget/Contoso.Lib@2.0.0-Beta.1"], graph["pkg:nuget/Contoso.App@1.0.0"]);
        Assert.Empty(graph["pkg:nuget/zeta.tool@1.0.0"]);
        Assert.DoesNotContain(graph.Keys, k => k.Contains("Other", StringComparison.Ordinal)); // project references are not packages
    }
}
