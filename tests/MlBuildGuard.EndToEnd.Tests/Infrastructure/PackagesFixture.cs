using MlBuildGuard.Testing;

namespace MlBuildGuard.EndToEnd.Tests.Infrastructure;

/// <summary>
/// Packs the repository's packages once per test run into a local folder feed, and gives every scenario an isolated
/// NuGet package cache so the package under test is the one just packed, never a stale copy.
/// </summary>
public sealed class PackagesFixture : IDisposable
{
    public PackagesFixture()
    {
        Root = Path.Combine(Path.GetTempPath(), "mlguard-e2e-" + Guid.NewGuid().ToString("N")[..8]);
        Feed = Path.Combine(Root, "feed");
        PackagesCache = Path.Combine(Root, "nuget-packages");
        Directory.CreateDirectory(Feed);
        foreach (var project in new[] { "src/MlBuildGuard.Tasks", "src/MlBuildGuard.Tool" })
        {
            var pack = DotNet.Run(RepositoryPaths.Root, Environment, "pack", project, "-c", "Release", "-o", Feed, "-tl:off", "-nodeReuse:false");
            if (pack.ExitCode != 0)
            {
                throw new InvalidOperationException($"dotnet pack {project} failed:\n" + pack.Output);
            }
        }

        // Offline vulnerability data for every scenario: one OSV advisory about a package no scenario uses.
        AdvisoryFolder = Path.Combine(Root, "advisories");
        Directory.CreateDirectory(AdvisoryFolder);
        File.WriteAllText(Path.Combine(AdvisoryFolder, "GHSA-test-0000-0000.json"), """
            {
              "schema_version": "1.4.0",
              "id": "GHSA-test-0000-0000",
              "modified": "2026-01-01T00:00:00Z",
              "affected": [
                { "package": { "ecosystem": "NuGet", "name": "Contoso.Unused" },
                  "ranges": [ { "type": "ECOSYSTEM", "events": [ { "introduced": "0" }, { "fixed": "1.0.1" } ] } ] }
              ],
              "database_specific": { "severity": "HIGH" }
            }
            """);

        // Scenario projects are well configured: the SDK is pinned as in this repository (else every build warns MLG504).
        Directory.CreateDirectory(Path.Combine(Root, "scenarios"));
        File.Copy(RepositoryPaths.Combine("global.json"), Path.Combine(Root, "scenarios", "global.json"));

        PackageVersion = Path.GetFileNameWithoutExtension(Directory.GetFiles(Feed, "MlBuildGuard.*.nupkg").Single(f => !Path.GetFileName(f).Contains(".Tool.", StringComparison.Ordinal)))["MlBuildGuard.".Length..];
    }

    public string Root { get; }

    public string Feed { get; }

    public string PackagesCache { get; }

    public string PackageVersion { get; }

    /// <summary>An offline advisory folder (MlGuardAdvisoryDatabase) with one advisory that matches nothing.</summary>
    public string AdvisoryFolder { get; }

    public IReadOnlyDictionary<string, string?> Environment => new Dictionary<string, string?>
    {
        ["NUGET_PACKAGES"] = PackagesCache,
        ["NUGET_HTTP_CACHE_PATH"] = Path.Combine(Root, "http-cache"),
        ["ContinuousIntegrationBuild"] = null,
        ["SOURCE_DATE_EPOCH"] = null,
    };

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

[CollectionDefinition(Name)]
public sealed class PackagesCollection : ICollectionFixture<PackagesFixture>
{
    /// <summary>One collection: the scenarios run one after another, each a full out-of-process build on a small machine.</summary>
    public const string Name = "packaged MlBuildGuard";
}
