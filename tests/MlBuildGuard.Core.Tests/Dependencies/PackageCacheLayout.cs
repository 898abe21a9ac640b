using System.Text;
using MlBuildGuard.Core.Dependencies;
using MlBuildGuard.Testing;
using NuGet.Frameworks;
using NuGet.Packaging;
using NuGet.Versioning;

namespace MlBuildGuard.Core.Tests.Dependencies;

/// <summary>
/// A temp folder laid out as a project with a committed <c>packages.lock.json</c>, a NuGet global packages folder
/// holding one real package extracted the way NuGet extracts it, and an offline advisory folder.
/// </summary>
internal sealed class PackageCacheLayout : IDisposable
{
    public const string Id = "Contoso.Widget";
    public const string Version = "1.2.3";
    public const string Source = "https://example.test/v3/index.json";

    private readonly TempDirectory _dir = new("mlguard-deps");

    public PackageCacheLayout()
    {
        Directory.CreateDirectory(AppDirectory);
        PackageFolder = Path.Combine(PackagesFolder, Id.ToLowerInvariant(), Version);
        Directory.CreateDirectory(PackageFolder);
        NupkgPath = Path.Combine(PackageFolder, $"{Id.ToLowerInvariant()}.{Version}.nupkg");
        File.WriteAllBytes(NupkgPath, BuildPackage());

        using (var reader = new PackageArchiveReader(NupkgPath))
        {
            ContentHash = reader.GetContentHash(CancellationToken.None);
            foreach (var entry in reader.GetFiles())
            {
                if (entry == "[Content_Types].xml" || entry.StartsWith("_rels/", StringComparison.Ordinal) || entry.StartsWith("package/", StringComparison.Ordinal))
                {
                    continue;
                }

                var relative = !entry.Contains('/') && entry.EndsWith(".nuspec", StringComparison.OrdinalIgnoreCase) ? $"{Id.ToLowerInvariant()}.nuspec" : entry;
                var target = Path.Combine(PackageFolder, relative);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                using var input = reader.GetStream(entry);
                using var output = File.Create(target);
                input.CopyTo(output);
            }
        }

        File.WriteAllText(NupkgPath + ".sha512", ContentHash);
        WriteMetadata(ContentHash);
        WriteLock(ContentHash);
        _dir.Write("advisories/GHSA-aaaa-bbbb-cccc.json",
            AdvisoryReadersTests.Osv("GHSA-aaaa-bbbb-cccc", AdvisoryReadersTests.Events("""{ "introduced": "0" }""", """{ "fixed": "9.0.0" }"""), package: "Contoso.Unrelated"));
    }

    public static byte[] DllBytes { get; } = Enumerable.Range(0, 4096).Select(i => (byte)(i * 7)).ToArray();

    public string AppDirectory => _dir.Combine("app");

    public string ProjectFile => Path.Combine(AppDirectory, "App.csproj");

    public string LockPath => Path.Combine(AppDirectory, "packages.lock.json");

    public string PackagesFolder => _dir.Combine("packages");

    public string PackageFolder { get; }

    public string NupkgPath { get; }

    public string AdvisoryDatabase => _dir.Combine("advisories");

    public string IntegrityCacheFile => _dir.Combine("app", "obj", "mlguard.integrity.cache");

    public string ContentHash { get; }

    public string InPackage(string relative) => Path.Combine(PackageFolder, relative);

    public void WriteMetadata(string contentHash, string source = Source) =>
        File.WriteAllText(Path.Combine(PackageFolder, ".nupkg.metadata"),
            $$"""{ "version": 2, "contentHash": "{{contentHash}}", "source": "{{source}}" }""");

    public void WriteLock(string contentHash) =>
        File.WriteAllText(LockPath, NuGetLockJson.Build(
            LockEntry.Direct("Contoso.App.Tools", "1.0.0"),
            new LockEntry(Id, Version, "Direct", contentHash)));

    public void WriteAdvisory(string name, string json) => _dir.Write(Path.Combine("advisories", name), json);

    public DependencyRequest Request(
        bool ci = false,
        IReadOnlyList<string>? trustedSources = null,
        string? integrityCacheFile = null,
        bool withAdvisories = true,
        IReadOnlyList<PackageReferenceItem>? references = null,
        IPackageFeeds? feeds = null,
        bool? offline = null,
        IReadOnlyList<string>? requirements = null) => new()
        {
            PackageReferences = references ?? [],
            ProjectDirectory = AppDirectory,
            ProjectFile = ProjectFile,
            AssetsFile = null,
            NuGetLockFile = LockPath,
            RestorePackagesWithLockFile = "true",
            RestoreLockedMode = "true",
            ContinuousIntegration = ci,
            PackagesFolder = PackagesFolder,
            IntegrityCacheFile = integrityCacheFile,
            TrustedSources = trustedSources ?? [],
            Offline = offline ?? feeds is null,
            PythonRequirementFiles = requirements ?? [],
            Feeds = feeds,
            AdvisoryDatabase = withAdvisories ? AdvisoryDatabase : null,
        };

    public void Dispose() => _dir.Dispose();

    private static byte[] BuildPackage()
    {
        var builder = new PackageBuilder
        {
            Id = Id,
            Version = NuGetVersion.Parse(Version),
            Description = "A package for the dependency guard tests.",
        };
        builder.Authors.Add("MlBuildGuard tests");
        builder.DependencyGroups.Add(new PackageDependencyGroup(NuGetFramework.Parse("net10.0"), []));
        builder.Files.Add(new InMemoryPackageFile("lib/net10.0/Foo.dll", DllBytes));
        builder.Files.Add(new InMemoryPackageFile($"build/{Id}.targets", Encoding.UTF8.GetBytes("<Project />\n")));
        using var stream = new MemoryStream();
        builder.Save(stream);
        return stream.ToArray();
    }
}
