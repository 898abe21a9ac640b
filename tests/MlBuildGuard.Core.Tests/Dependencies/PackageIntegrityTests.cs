using MlBuildGuard.Core.Dependencies;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests.Dependencies;

public class PackageIntegrityTests
{
    private static Finding SinglePoisoned(DependencyResult result)
    {
        var finding = Assert.Single(result.Findings, f => f.Code == "MLG105");
        Assert.Equal(Severity.Error, finding.Severity);
        Assert.Equal(PackageCacheLayout.Id, finding.Subject);
        Assert.Equal(SubjectKind.Package, finding.SubjectKind);
        return finding;
    }

    private static int LockLineOf(string lockPath, string id) =>
        Array.FindIndex(File.ReadAllLines(lockPath), l => l.TrimStart().StartsWith($"\"{id}\"", StringComparison.Ordinal)) + 1;

    [Fact]
    public void A_package_extracted_as_NuGet_extracts_it_passes_with_no_findings()
    {
        using var layout = new PackageCacheLayout();

        var result = DependencyGuard.Run(layout.Request());

        Assert.Empty(result.Findings);
        Assert.Equal(1, result.PackagesVerified);
        Assert.Equal(0, result.PackagesFromCache);
    }

    [Fact]
    public void A_modified_extracted_dll_is_MLG105_naming_the_file()
    {
        using var layout = new PackageCacheLayout();
        var tampered = (byte[])PackageCacheLayout.DllBytes.Clone();
        tampered[100] ^= 0xFF;
        File.WriteAllBytes(layout.InPackage("lib/net10.0/Foo.dll"), tampered);

        var result = DependencyGuard.Run(layout.Request());

        var finding = SinglePoisoned(result);
        Assert.Contains("the extracted file 'lib/net10.0/Foo.dll' differs from the package archive", finding.Message, StringComparison.Ordinal);
        Assert.StartsWith($"Package {PackageCacheLayout.Id} {PackageCacheLayout.Version} in the local package cache is not the package that was locked", finding.Message, StringComparison.Ordinal);
        Assert.Contains(layout.PackageFolder, finding.Message, StringComparison.Ordinal);
        Assert.Equal(layout.LockPath, finding.Location!.FilePath);
        Assert.Equal(LockLineOf(layout.LockPath, PackageCacheLayout.Id), finding.Location.Line);
        Assert.True(finding.Location.Line > 1);
        Assert.Equal(0, result.PackagesVerified);
    }

    [Fact]
    public void A_modified_nuspec_is_MLG105()
    {
        using var layout = new PackageCacheLayout();
        File.AppendAllText(layout.InPackage("contoso.widget.nuspec"), "<!-- edited -->");

        var finding = SinglePoisoned(DependencyGuard.Run(layout.Request()));

        Assert.Contains("'contoso.widget.nuspec' differs", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_added_targets_file_is_MLG105()
    {
        using var layout = new PackageCacheLayout();
        File.WriteAllText(layout.InPackage("build/evil.targets"), "<Project><Target Name=\"Evil\" BeforeTargets=\"Build\" /></Project>");

        var finding = SinglePoisoned(DependencyGuard.Run(layout.Request()));

        Assert.Contains("the folder holds 'build/evil.targets', which is not in the package archive", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_changed_metadata_content_hash_is_MLG105()
    {
        using var layout = new PackageCacheLayout();
        var other = NuGetLockJson.FakeHash("someone", "else");
        layout.WriteMetadata(other);

        var finding = SinglePoisoned(DependencyGuard.Run(layout.Request()));

        Assert.Contains($"its .nupkg.metadata records content hash {other}, the lock file {layout.ContentHash}", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_lock_content_hash_that_is_not_the_nupkg_hash_is_MLG105()
    {
        using var layout = new PackageCacheLayout();
        var locked = NuGetLockJson.FakeHash("someone", "else");
        layout.WriteLock(locked);
        layout.WriteMetadata(locked);

        var finding = SinglePoisoned(DependencyGuard.Run(layout.Request()));

        Assert.Contains($"its .nupkg has content hash {layout.ContentHash}, expected {locked}", finding.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("this is not JSON")]
    [InlineData("{ \"version\": 2, \"contentHash\": 42 }")]
    public void An_unreadable_metadata_file_is_MLG105(string metadata)
    {
        using var layout = new PackageCacheLayout();
        File.WriteAllText(layout.InPackage(".nupkg.metadata"), metadata);

        var finding = SinglePoisoned(DependencyGuard.Run(layout.Request()));

        Assert.Contains("its .nupkg.metadata cannot be read", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_nupkg_that_is_not_a_zip_is_MLG105()
    {
        using var layout = new PackageCacheLayout();
        File.WriteAllText(layout.NupkgPath, "not a zip");

        var finding = SinglePoisoned(DependencyGuard.Run(layout.Request()));

        Assert.Contains("its .nupkg cannot be read", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_nupkg_is_MLG105()
    {
        using var layout = new PackageCacheLayout();
        File.Delete(layout.NupkgPath);

        var finding = SinglePoisoned(DependencyGuard.Run(layout.Request()));

        Assert.Contains("its .nupkg is missing", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_package_that_is_not_in_the_cache_is_left_to_restore()
    {
        using var layout = new PackageCacheLayout();
        Directory.Delete(layout.PackageFolder, recursive: true);

        var result = DependencyGuard.Run(layout.Request());

        Assert.DoesNotContain(result.Findings, f => f.Code == "MLG105");
        Assert.Equal(0, result.PackagesVerified);
    }

    [Fact]
    public void An_unchanged_package_is_not_read_again_with_an_integrity_cache()
    {
        using var layout = new PackageCacheLayout();
        var first = DependencyGuard.Run(layout.Request(integrityCacheFile: layout.IntegrityCacheFile));
        Assert.Equal(1, first.PackagesVerified);
        Assert.True(File.Exists(layout.IntegrityCacheFile));

        var second = DependencyGuard.Run(layout.Request(integrityCacheFile: layout.IntegrityCacheFile));

        Assert.Empty(second.Findings);
        Assert.Equal(1, second.PackagesFromCache);
        Assert.Equal(0, second.PackagesVerified);
    }

    [Fact]
    public void Continuous_integration_ignores_the_integrity_cache()
    {
        using var layout = new PackageCacheLayout();
        DependencyGuard.Run(layout.Request(integrityCacheFile: layout.IntegrityCacheFile));

        var onCi = DependencyGuard.Run(layout.Request(ci: true, integrityCacheFile: layout.IntegrityCacheFile));

        Assert.Empty(onCi.Findings);
        Assert.Equal(0, onCi.PackagesFromCache);
        Assert.Equal(1, onCi.PackagesVerified);
    }

    [Fact]
    public void A_forged_cache_entry_for_a_tampered_package_is_trusted_only_off_CI()
    {
        using var layout = new PackageCacheLayout();
        DependencyGuard.Run(layout.Request(integrityCacheFile: layout.IntegrityCacheFile));
        File.WriteAllText(layout.InPackage("build/evil.targets"), "<Project />");
        // Whoever can write obj/ records the tampered folder, as it is now, as verified.
        File.WriteAllText(layout.IntegrityCacheFile, $"{layout.PackageFolder}\t{PackageIntegrity.Fingerprint(layout.PackageFolder)} {layout.ContentHash}\n");

        var local = DependencyGuard.Run(layout.Request(integrityCacheFile: layout.IntegrityCacheFile));
        var onCi = DependencyGuard.Run(layout.Request(ci: true, integrityCacheFile: layout.IntegrityCacheFile));

        Assert.Equal(1, local.PackagesFromCache); // a developer's own obj/ is trusted as the source tree is (docs/threat-model.md)
        Assert.Empty(local.Findings);
        Assert.Contains("'build/evil.targets'", SinglePoisoned(onCi).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_added_after_verification_is_found_despite_the_cache()
    {
        using var layout = new PackageCacheLayout();
        DependencyGuard.Run(layout.Request(integrityCacheFile: layout.IntegrityCacheFile));
        File.WriteAllText(layout.InPackage("build/evil.targets"), "<Project />");

        var result = DependencyGuard.Run(layout.Request(integrityCacheFile: layout.IntegrityCacheFile));

        Assert.Equal(0, result.PackagesFromCache);
        Assert.Contains("'build/evil.targets'", SinglePoisoned(result).Message, StringComparison.Ordinal);
    }

    [LinuxFact]
    public void A_file_edited_in_place_keeping_size_and_modification_time_is_found_despite_the_cache()
    {
        using var layout = new PackageCacheLayout();
        var dll = layout.InPackage("lib/net10.0/Foo.dll");
        DependencyGuard.Run(layout.Request(integrityCacheFile: layout.IntegrityCacheFile));
        var modified = File.GetLastWriteTimeUtc(dll);
        Thread.Sleep(20);
        using (var stream = new FileStream(dll, FileMode.Open, FileAccess.Write))
        {
            stream.Position = 100;
            stream.WriteByte((byte)(PackageCacheLayout.DllBytes[100] ^ 0xFF));
        }

        File.SetLastWriteTimeUtc(dll, modified);

        var result = DependencyGuard.Run(layout.Request(integrityCacheFile: layout.IntegrityCacheFile));

        Assert.Equal(0, result.PackagesFromCache);
        Assert.Contains("'lib/net10.0/Foo.dll' differs", SinglePoisoned(result).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_new_lock_content_hash_is_checked_again_despite_the_cache()
    {
        using var layout = new PackageCacheLayout();
        DependencyGuard.Run(layout.Request(integrityCacheFile: layout.IntegrityCacheFile));
        var locked = NuGetLockJson.FakeHash("someone", "else");
        layout.WriteLock(locked);

        var result = DependencyGuard.Run(layout.Request(integrityCacheFile: layout.IntegrityCacheFile));

        Assert.Equal(0, result.PackagesFromCache);
        Assert.Contains(result.Findings, f => f.Code == "MLG105" && f.Message.Contains($"its .nupkg has content hash {layout.ContentHash}, expected {locked}", StringComparison.Ordinal));
    }

    [Fact]
    public void A_source_outside_the_trusted_sources_is_an_MLG106_warning()
    {
        using var layout = new PackageCacheLayout();

        var result = DependencyGuard.Run(layout.Request(trustedSources: ["https://nuget.internal.test/v3/index.json"]));

        var finding = Assert.Single(result.Findings);
        Assert.Equal("MLG106", finding.Code);
        Assert.Equal(Severity.Warning, finding.Severity);
        Assert.Equal(PackageCacheLayout.Id, finding.Subject);
        Assert.Equal($"Package {PackageCacheLayout.Id} {PackageCacheLayout.Version} came from '{PackageCacheLayout.Source}', which is not in MlGuardTrustedSources.", finding.Message);
    }

    [Fact]
    public void A_source_outside_the_trusted_sources_is_an_MLG106_error_on_CI()
    {
        using var layout = new PackageCacheLayout();

        var result = DependencyGuard.Run(layout.Request(ci: true, trustedSources: ["https://nuget.internal.test/v3/index.json"]));

        Assert.Equal(Severity.Error, Assert.Single(result.Findings, f => f.Code == "MLG106").Severity);
    }

    [Theory]
    [InlineData(PackageCacheLayout.Source)]
    [InlineData("HTTPS://EXAMPLE.TEST/v3/index.json/")]
    public void A_trusted_source_is_quiet(string trusted)
    {
        using var layout = new PackageCacheLayout();

        var result = DependencyGuard.Run(layout.Request(ci: true, trustedSources: ["https://nuget.internal.test/v3/index.json", trusted]));

        Assert.Empty(result.Findings);
    }

    [Fact]
    public void A_transitive_package_from_an_untrusted_source_points_at_the_reference_that_brings_it_in()
    {
        using var layout = new PackageCacheLayout();
        File.WriteAllText(layout.LockPath, NuGetLockJson.Build(
            LockEntry.Direct("Contoso.App", "1.0.0", PackageCacheLayout.Id),
            new LockEntry(PackageCacheLayout.Id, PackageCacheLayout.Version, "Transitive", layout.ContentHash)));
        var references = new[] { new PackageReferenceItem("PackageVersion", "Contoso.App", "1.0.0", DefiningFile: "/src/Directory.Packages.props") };

        var result = DependencyGuard.Run(layout.Request(trustedSources: ["https://nuget.internal.test/v3/index.json"], references: references));

        var finding = Assert.Single(result.Findings, f => f.Code == "MLG106");
        Assert.Equal(PackageCacheLayout.Id, finding.Subject);
        Assert.Equal("/src/Directory.Packages.props", finding.Location!.FilePath);
    }

    [Fact]
    public void A_package_without_a_recorded_source_is_MLG106()
    {
        using var layout = new PackageCacheLayout();
        File.WriteAllText(layout.InPackage(".nupkg.metadata"), $$"""{ "version": 2, "contentHash": "{{layout.ContentHash}}" }""");

        var result = DependencyGuard.Run(layout.Request(trustedSources: [PackageCacheLayout.Source]));

        Assert.Contains("records no source", Assert.Single(result.Findings, f => f.Code == "MLG106").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Offline_without_an_advisory_database_is_MLG203()
    {
        using var layout = new PackageCacheLayout();

        var result = DependencyGuard.Run(layout.Request(withAdvisories: false));

        var finding = Assert.Single(result.Findings);
        Assert.Equal("MLG203", finding.Code);
        Assert.Equal(Severity.Warning, finding.Severity);
        Assert.Contains("MlGuardOffline is true and no MlGuardAdvisoryDatabase", finding.Message, StringComparison.Ordinal);
        Assert.Equal(Severity.Error, Assert.Single(DependencyGuard.Run(layout.Request(ci: true, withAdvisories: false)).Findings).Severity);
    }

    [Fact]
    public void An_unreadable_advisory_database_is_MLG203_at_the_bad_file()
    {
        using var layout = new PackageCacheLayout();
        layout.WriteAdvisory("GHSA-widget.json",
            AdvisoryReadersTests.Osv("GHSA-wwww-xxxx-yyyy", AdvisoryReadersTests.Events("""{ "introduced": "0" }""", """{ "fixed": "1.2.4" }""")));
        layout.WriteAdvisory("broken.json", "{\n  \"id\": ,\n}");

        var result = DependencyGuard.Run(layout.Request());

        var finding = Assert.Single(result.Findings);
        Assert.Equal("MLG203", finding.Code);
        Assert.Equal(Path.Combine(layout.AdvisoryDatabase, "broken.json"), finding.Location!.FilePath);
        Assert.Equal(2, finding.Location.Line);
    }

    [Fact]
    public void An_advisory_in_the_offline_database_is_MLG201()
    {
        using var layout = new PackageCacheLayout();
        layout.WriteAdvisory("GHSA-widget.json", AdvisoryReadersTests.Osv(
            "GHSA-wwww-xxxx-yyyy",
            AdvisoryReadersTests.Events("""{ "introduced": "0" }""", """{ "fixed": "1.2.4" }"""),
            """ "database_specific": { "severity": "HIGH" }, """));

        var result = DependencyGuard.Run(layout.Request());

        var finding = Assert.Single(result.Findings);
        Assert.Equal("MLG201", finding.Code);
        Assert.Equal(Severity.Error, finding.Severity);
        Assert.Equal(PackageCacheLayout.Id, finding.Subject);
        Assert.StartsWith("Package Contoso.Widget 1.2.3 has a known ", finding.Message, StringComparison.Ordinal);
        Assert.Contains("high severity", finding.Message, StringComparison.Ordinal);
        Assert.EndsWith(
            "GHSA-wwww-xxxx-yyyy (https://github.com/advisories/GHSA-wwww-xxxx-yyyy) (affected: (, 1.2.4); first fixed in 1.2.4).",
            finding.Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public void A_low_severity_advisory_is_an_MLG201_warning()
    {
        using var layout = new PackageCacheLayout();
        layout.WriteAdvisory("GHSA-widget.json", AdvisoryReadersTests.Osv(
            "GHSA-wwww-xxxx-yyyy",
            AdvisoryReadersTests.Events("""{ "introduced": "1.0.0" }"""),
            """ "database_specific": { "severity": "LOW" }, """));

        var result = DependencyGuard.Run(layout.Request());

        Assert.Equal(Severity.Warning, Assert.Single(result.Findings, f => f.Code == "MLG201").Severity);
    }

    [Fact]
    public void MLG105_points_at_the_packages_own_entry_in_the_lock_file()
    {
        using var layout = new PackageCacheLayout();
        File.WriteAllText(layout.LockPath, NuGetLockJson.Build(
            LockEntry.Direct("Contoso.App", "1.0.0", PackageCacheLayout.Id),
            new LockEntry(PackageCacheLayout.Id, PackageCacheLayout.Version, "Transitive", layout.ContentHash)));
        File.WriteAllText(layout.InPackage("build/evil.targets"), "<Project />");
        var entryLine = Array.FindIndex(File.ReadAllLines(layout.LockPath), l => l.TrimStart().StartsWith($"\"{PackageCacheLayout.Id}\": {{", StringComparison.Ordinal)) + 1;

        var finding = SinglePoisoned(DependencyGuard.Run(layout.Request()));

        Assert.Equal(entryLine, finding.Location!.Line);
    }

    [Fact]
    public void A_trusted_local_folder_source_may_be_written_relative_to_the_project()
    {
        using var layout = new PackageCacheLayout();
        var feed = Path.GetFullPath(Path.Combine(layout.AppDirectory, "..", "feed"));
        layout.WriteMetadata(layout.ContentHash, feed + "/");

        Assert.Empty(DependencyGuard.Run(layout.Request(trustedSources: ["../feed"])).Findings);
        Assert.Single(DependencyGuard.Run(layout.Request(trustedSources: ["../other-feed"])).Findings, f => f.Code == "MLG106");
    }
}
