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
        Assert.Contains("cannot be read (invalid JSON:", finding.Message, StringComparison.Ordinal);
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

    private const string NuGetSwallowsErrors =
        "BUG: LockFileConsistency.Read (LockFileConsistency.cs:39) trusts PackagesLockFileFormat.Read, which does not throw on a bad entry: " +
        "it logs the error and returns an empty lock (Version int.MinValue, no targets), so the catch at line 41 never runs, no MLG104 is " +
        "reported, and the integrity (MLG105), source (MLG106) and, without an assets file, all package checks see no packages";

    [Theory]
    [InlineData("""{ "version": 1, "dependencies": { "net10.0": { "Contoso.App": { "type": "Direct", "requested": "[1.0.0, )", "resolved": "not-a-version", "contentHash": "AAAA" } } } }""")]
    [InlineData("""{ "version": 1, "dependencies": { "net10.0": { "Contoso.App": { "type": "Direct", "requested": "[1.0.0, )", "resolved": "1.0.0", "contentHash": "AAAA" }, "Contoso.Lib": { "type": "Transitive", "resolved": "2.0", "contentHash": "BBBB", "dependencies": { "Contoso.Core": "[1.0" } } } } }""")]
    public void A_lock_file_NuGet_cannot_read_is_MLG104_not_an_empty_lock(string content)
    {
        using var dir = new TempDirectory();
        var path = dir.Write("packages.lock.json", content);
        var findings = new List<Finding>();

        var lockFile = LockFileConsistency.Read(path, findings);

        Assert.Null(lockFile);
        var finding = Assert.Single(findings);
        Assert.Equal("MLG104", finding.Code);
        Assert.Contains("it cannot be read as a NuGet lock file", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void One_unreadable_lock_entry_does_not_silence_the_cache_integrity_check()
    {
        using var layout = new PackageCacheLayout();
        var json = File.ReadAllText(layout.LockPath).Replace("\"resolved\": \"1.0.0\"", "\"resolved\": \"one.zero\"", StringComparison.Ordinal);
        Assert.Contains("one.zero", json, StringComparison.Ordinal);
        File.WriteAllText(layout.LockPath, json);
        File.WriteAllText(layout.InPackage("build/evil.targets"), "<Project />");

        var result = DependencyGuard.Run(layout.Request());

        Assert.Contains(result.Findings, f => f.Code == "MLG104");
        Assert.Contains(result.Findings, f => f.Code == "MLG105");
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
        Assert.Equal(SubjectKind.Package, finding.SubjectKind);
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
        Assert.Equal("packages.lock.json", finding.Subject);
        Assert.Equal(SubjectKind.Path, finding.SubjectKind);
    }

    private static List<Finding> Compare(string lockJson, PackageGraph restored)
    {
        var findings = new List<Finding>();
        LockFileConsistency.Compare(LockPath, NuGetLockJson.Parse(lockJson), restored, findings);
        return findings;
    }
}
