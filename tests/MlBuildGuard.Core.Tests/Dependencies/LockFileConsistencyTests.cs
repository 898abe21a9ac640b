using MlBuildGuard.Core.Dependencies;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests.Dependencies;

public class LockFileConsistencyTests
{
    private const string LockPath = "/src/app/packages.lock.json";

    [Fact]
    public void Malformed_JSON_is_MLG104_at_the_line_and_column_of_the_error()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("packages.lock.json",
            "{\n" +
            "  \"version\": 1,\n" +
            "  \"dependencies\": {\n" +
            "    \"net10.0\": { ] }\n" +
            "  }\n" +
            "}\n");
        var findings = new List<Finding>();

        Assert.Null(LockFileConsistency.Read(path, findings));

        var finding = Assert.Single(findings);
        Assert.Equal("MLG104", finding.Code);
        Assert.Equal(Severity.Error, finding.Severity);
        Assert.Equal("packages.lock.json", finding.Subject);
        Assert.Equal(new SourceLocation(path, 4, 18), finding.Location);
        Assert.Contains("not valid JSON", finding.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{ \"name\": \"not a lock\" }")]
    [InlineData("[]")]
    [InlineData("{ \"version\": \"1\", \"dependencies\": {} }")]
    [InlineData("{ \"version\": 1, \"dependencies\": [] }")]
    public void JSON_that_is_not_a_NuGet_lock_file_is_MLG104(string content)
    {
        using var dir = new TempDirectory();
        var path = dir.Write("packages.lock.json", content);
        var findings = new List<Finding>();

        Assert.Null(LockFileConsistency.Read(path, findings));

        var finding = Assert.Single(findings);
        Assert.Equal("MLG104", finding.Code);
        Assert.Equal(new SourceLocation(path, 1, 1), finding.Location);
        Assert.Contains("it is not a NuGet lock file", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_valid_lock_file_is_read_without_findings()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("packages.lock.json", NuGetLockJson.Build(LockEntry.Direct("Contoso.App", "1.0.0")));
        var findings = new List<Finding>();

        var lockFile = LockFileConsistency.Read(path, findings);

        Assert.Empty(findings);
        Assert.NotNull(lockFile);
        Assert.Equal("Contoso.App", Assert.Single(Assert.Single(lockFile.Targets).Dependencies).Id);
    }

    [Fact]
    public void A_lock_that_matches_restore_has_no_findings()
    {
        var entries = new[] { LockEntry.Direct("Contoso.App", "1.0.0", "Contoso.Lib"), LockEntry.Transitive("Contoso.Lib", "2.0.0") };

        Assert.Empty(Compare(NuGetLockJson.Build(entries), NuGetLockJson.Graph(entries)));
    }

    [Fact]
    public void A_package_restore_resolved_that_the_lock_lacks_is_MLG104()
    {
        var finding = Assert.Single(Compare(
            NuGetLockJson.Build(LockEntry.Direct("Contoso.App", "1.0.0")),
            NuGetLockJson.Graph(LockEntry.Direct("Contoso.App", "1.0.0", "Contoso.Lib"), LockEntry.Transitive("Contoso.Lib", "2.0.0"))));

        Assert.Equal("MLG104", finding.Code);
        Assert.Equal("Contoso.Lib", finding.Subject);
        Assert.Equal(LockPath, finding.Location!.FilePath);
        Assert.Contains("net10.0: restore resolved Contoso.Lib 2.0.0, which the lock file does not have", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_package_the_lock_has_that_restore_did_not_resolve_is_MLG104()
    {
        var finding = Assert.Single(Compare(
            NuGetLockJson.Build(LockEntry.Direct("Contoso.App", "1.0.0"), LockEntry.Transitive("Contoso.Stale", "0.5.0")),
            NuGetLockJson.Graph(LockEntry.Direct("Contoso.App", "1.0.0"))));

        Assert.Equal("Contoso.Stale", finding.Subject);
        Assert.Contains("net10.0: the lock file has Contoso.Stale 0.5.0, which restore did not resolve", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_different_version_is_MLG104()
    {
        var finding = Assert.Single(Compare(
            NuGetLockJson.Build(LockEntry.Direct("Contoso.App", "1.0.0")),
            NuGetLockJson.Graph(LockEntry.Direct("Contoso.App", "1.0.1"))));

        Assert.Equal("Contoso.App", finding.Subject);
        Assert.Contains("net10.0: restore resolved Contoso.App 1.0.1, the lock file has 1.0.0", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_different_content_hash_is_MLG104()
    {
        var finding = Assert.Single(Compare(
            NuGetLockJson.Build(new LockEntry("Contoso.App", "1.0.0", ContentHash: "LockedHash==")),
            NuGetLockJson.Graph(new LockEntry("Contoso.App", "1.0.0", ContentHash: "RestoredHash=="))));

        Assert.Equal("Contoso.App", finding.Subject);
        Assert.Contains("net10.0: Contoso.App 1.0.0 has content hash RestoredHash== in the restore, LockedHash== in the lock file", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_target_the_lock_lacks_is_MLG104()
    {
        var restored = PackageGraph.FromLockFile(NuGetLockJson.Parse(NuGetLockJson.Build(new Dictionary<string, LockEntry[]>
        {
            ["net10.0"] = [LockEntry.Direct("Contoso.App", "1.0.0")],
            ["net10.0/linux-x64"] = [LockEntry.Direct("Contoso.App", "1.0.0")],
        })));

        var finding = Assert.Single(Compare(NuGetLockJson.Build(LockEntry.Direct("Contoso.App", "1.0.0")), restored));

        Assert.Contains("restore resolved the target 'net10.0/linux-x64', which the lock file does not have", finding.Message, StringComparison.Ordinal);
    }

    private static List<Finding> Compare(string lockJson, PackageGraph restored)
    {
        var findings = new List<Finding>();
        LockFileConsistency.Compare(LockPath, NuGetLockJson.Parse(lockJson), restored, findings);
        return findings;
    }
}
