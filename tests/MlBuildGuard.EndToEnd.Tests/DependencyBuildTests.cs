using System.Security;
using MlBuildGuard.EndToEnd.Tests.Infrastructure;

namespace MlBuildGuard.EndToEnd.Tests;

/// <summary>The feed the dependency scenarios restore from, started once for the class.</summary>
public sealed class ContosoFeedFixture : IDisposable
{
    public ContosoFeedFixture()
    {
        Feed = new LoopbackFeed(
        [
            new FeedPackage("Contoso.Good", "1.0.0"),
            new FeedPackage("Contoso.Vulnerable", "1.0.0"),
            new FeedPackage("Contoso.Vulnerable", "1.0.1"),
            new FeedPackage("Contoso.Wrapper", "1.0.0", [("Contoso.Vulnerable", "[1.0.0]")]),
            new FeedPackage("Contoso.Deprecated", "1.0.0", DeprecationReason: "Legacy", Alternate: "Contoso.Good"),
            new FeedPackage("Newtonsoft.Jsom", "1.0.0"),
        ],
        """{ "contoso.vulnerable": [ { "url": "https://advisories.example.test/CONTOSO-2026-1", "severity": 2, "versions": "[1.0.0, 1.0.1)" } ] }""");
    }

    public LoopbackFeed Feed { get; }

    public void Dispose() => Feed.Dispose();
}

/// <summary>The dependency guard through real builds that restore from a loopback NuGet feed.</summary>
[Collection(PackagesCollection.Name)]
public sealed class DependencyBuildTests(PackagesFixture packages, ContosoFeedFixture contoso) : IClassFixture<ContosoFeedFixture>
{
    /// <summary>Vulnerability data from the feed (no offline folder), NuGet's own restore-time audit off to keep the output ours.</summary>
    private const string OnlineProperties = "<MlGuardOffline>false</MlGuardOffline><MlGuardAdvisoryDatabase></MlGuardAdvisoryDatabase><NuGetAudit>false</NuGetAudit>";

    private string NuGetConfig(bool mapping = true, string? auditSource = null, bool nugetOrg = false) => $"""
        <?xml version="1.0" encoding="utf-8"?>
        <configuration>
          <packageSources>
            <clear />
            <add key="local" value="{SecurityElement.Escape(packages.Feed)}" />
            <add key="contoso" value="{contoso.Feed.SourceUrl}" allowInsecureConnections="true" />
            {(nugetOrg ? "<add key=\"nuget.org\" value=\"https://api.nuget.org/v3/index.json\" />" : "")}
          </packageSources>
          {(mapping ? $"""
          <packageSourceMapping>
            <packageSource key="local"><package pattern="MlBuildGuard*" /></packageSource>
            <packageSource key="contoso"><package pattern="*" /></packageSource>
            {(nugetOrg ? "<packageSource key=\"nuget.org\"><package pattern=\"Microsoft.*\" /></packageSource>" : "")}
          </packageSourceMapping>
          """ : "")}
          <auditSources>
            <clear />
            {(auditSource is null ? "" : $"<add key=\"audit\" value=\"{auditSource}\" allowInsecureConnections=\"true\" />")}
          </auditSources>
        </configuration>
        """;

    private TestProject Project(string references, string properties = OnlineProperties, string body = "", string tfm = "net10.0", bool mapping = true, string? auditSource = null, bool nugetOrg = false) =>
        new TestProject(packages, "deps").WithNuGetConfig(NuGetConfig(mapping, auditSource, nugetOrg)).WithProject($"""
              <ItemGroup>
            {references}
              </ItemGroup>
            {body}
            """, tfm, properties);

    private static string Ref(string id, string version) => $"""    <PackageReference Include="{id}" Version="{version}" />""";

    private static string Codes(CommandResult r) => string.Join(",", r.Diagnostics.Select(d => $"{d.Kind}:{d.Code}").Distinct().Order());

    [Fact]
    public void A_pinned_locked_project_with_clean_packages_passes_quietly()
    {
        var p = Project(Ref("Contoso.Good", "1.0.0"));

        var result = p.Build();

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Empty(result.Diagnostics);
        Assert.True(File.Exists(Path.Combine(p.Directory, "packages.lock.json")));
        Assert.Contains(contoso.Feed.Requests, r => r.EndsWith("/vulnerabilities/base.json", StringComparison.Ordinal));
        Assert.Contains(contoso.Feed.Requests, r => r.EndsWith("/v3/reg/contoso.good/index.json", StringComparison.Ordinal));
        // A changed setting runs the guard again (no verdict holds), and the integrity check still reads no package again.
        var rebuild = p.Build("--no-restore", "-v:n", "-p:MlGuardAuditErrorLevel=critical");
        Assert.Contains("0 package(s) verified against their archives, 2 unchanged since verified", rebuild.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Floating_and_open_ended_versions_are_MLG101_at_their_line()
    {
        var p = Project(Ref("Contoso.Good", "1.*") + "\n" + Ref("Contoso.Deprecated", "[1.0.0,)"), OnlineProperties + "<MlGuardOffline>true</MlGuardOffline>");
        var result = p.Build("-p:NoWarn=MLG203");

        Assert.Equal(1, result.ExitCode);
        var floating = result.Diagnostics.Where(d => d.Code == "MLG101").OrderBy(d => d.Line).ToList();
        Assert.Equal(2, floating.Count);
        Assert.Equal((p.ProjectFile, p.LineOf("Contoso.Good")), (floating[0].File, floating[0].Line));
        Assert.Contains("floats", floating[0].Message, StringComparison.Ordinal);
        Assert.Contains("open-ended", floating[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void No_lock_file_is_MLG102_and_CI_without_locked_restore_is_MLG103()
    {
        var noLock = Project(Ref("Contoso.Good", "1.0.0"), OnlineProperties + "<RestorePackagesWithLockFile>false</RestorePackagesWithLockFile>");
        var unlocked = Project(Ref("Contoso.Good", "1.0.0"));
        Assert.Equal(0, unlocked.Build().ExitCode);

        var a = noLock.Build();
        var b = unlocked.Build("--no-restore", "-p:ContinuousIntegrationBuild=true");
        var c = unlocked.Build("-p:ContinuousIntegrationBuild=true", "-p:RestoreLockedMode=true");

        Assert.Equal("error:MLG102", Codes(a));
        Assert.Equal("error:MLG103", Codes(b));
        Assert.True(c.ExitCode == 0, c.ToString());
    }

    [Fact]
    public void A_lock_file_that_does_not_match_restore_is_MLG104()
    {
        var p = Project(Ref("Contoso.Good", "1.0.0"));
        Assert.Equal(0, p.Build().ExitCode);
        var lockPath = Path.Combine(p.Directory, "packages.lock.json");
        File.WriteAllText(lockPath, File.ReadAllText(lockPath).Replace("\"resolved\": \"1.0.0\"", "\"resolved\": \"1.0.5\"", StringComparison.Ordinal));

        var result = p.Build("--no-restore");

        Assert.Equal(1, result.ExitCode);
        var finding = Assert.Single(result.Diagnostics);
        Assert.Equal(("MLG104", lockPath), (finding.Code, finding.File));
        Assert.Contains("restore resolved Contoso.Good 1.0.0, the lock file has 1.0.5", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_tampered_package_in_the_local_cache_is_MLG105()
    {
        var p = Project(Ref("Contoso.Good", "1.0.0"));
        var cache = Path.Combine(p.Directory, "own-packages");
        p.Environment["NUGET_PACKAGES"] = cache;
        var first = p.Build();
        Assert.True(first.ExitCode == 0, first.ToString());
        var props = Path.Combine(cache, "contoso.good", "1.0.0", "build", "Contoso.Good.props");
        File.WriteAllText(props, "<Project><Target Name=\"Steal\" BeforeTargets=\"Build\"><Message Text=\"pwned\" /></Target></Project>");
        File.WriteAllText(Path.Combine(cache, "contoso.good", "1.0.0", "build", "extra.targets"), "<Project />");

        var result = p.Build("--no-restore");

        Assert.Equal(1, result.ExitCode);
        var findings = result.Diagnostics.Where(d => d.Code == "MLG105").Select(d => d.Message).ToList();
        Assert.Contains(findings, m => m.Contains("the extracted file 'build/Contoso.Good.props' differs from the package archive", StringComparison.Ordinal));
        Assert.Contains(findings, m => m.Contains("'build/extra.targets', which is not in the package archive", StringComparison.Ordinal));
        Assert.DoesNotContain("pwned", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unchanged_rebuild_replays_its_findings_and_a_tampered_package_is_still_MLG105()
    {
        var p = Project(Ref("Contoso.Good", "1.0.0"), mapping: false);
        var cache = Path.Combine(p.Directory, "own-packages");
        p.Environment["NUGET_PACKAGES"] = cache;
        var first = p.Build();
        Assert.True(first.ExitCode == 0, first.ToString());
        Thread.Sleep(TimeSpan.FromSeconds(2.2)); // files restore just wrote are not trusted to a verdict: let them age
        var recorded = p.Build("--no-restore");
        var replayed = p.Build("--no-restore", "-v:n");

        Assert.Equal(0, replayed.ExitCode);
        Assert.Contains("MlBuildGuard dependencies: nothing changed since the last build", replayed.Output, StringComparison.Ordinal);
        Assert.Equal(Codes(recorded), Codes(replayed));
        Assert.Contains(replayed.Diagnostics, d => d is { Kind: "warning", Code: "MLG106" } && d.Message.Contains("no package source mapping", StringComparison.Ordinal));

        File.WriteAllText(Path.Combine(cache, "contoso.good", "1.0.0", "build", "extra.targets"), "<Project />");
        var tampered = p.Build("--no-restore");

        Assert.Equal(1, tampered.ExitCode);
        Assert.Contains(tampered.Diagnostics, d => d.Code == "MLG105" && d.Message.Contains("'build/extra.targets'", StringComparison.Ordinal));
    }

    [Fact]
    public void Untrusted_sources_and_unmapped_sources_are_MLG106_warnings_and_errors_on_CI()
    {
        var trusted = Project(Ref("Contoso.Good", "1.0.0"), OnlineProperties + $"<MlGuardTrustedSources>{contoso.Feed.SourceUrl};{SecurityElement.Escape(packages.Feed)}</MlGuardTrustedSources>");
        var untrusted = Project(Ref("Contoso.Good", "1.0.0"), OnlineProperties + "<MlGuardTrustedSources>https://nuget.internal.example/v3/index.json</MlGuardTrustedSources>");
        var unmapped = Project(Ref("Contoso.Good", "1.0.0"), mapping: false);

        var quiet = trusted.Build();
        var warned = untrusted.Build();
        var onCi = untrusted.Build("--no-restore", "-p:ContinuousIntegrationBuild=true", "-p:RestoreLockedMode=true");
        var noMapping = unmapped.Build();

        Assert.True(quiet.ExitCode == 0, quiet.ToString());
        Assert.Empty(quiet.Diagnostics);
        Assert.Equal(0, warned.ExitCode);
        Assert.Contains(warned.Diagnostics, d => d is { Kind: "warning", Code: "MLG106" } && d.Message.Contains($"came from '{contoso.Feed.SourceUrl}'", StringComparison.Ordinal));
        Assert.Equal(1, onCi.ExitCode);
        Assert.Contains(onCi.Diagnostics, d => d is { Kind: "error", Code: "MLG106" });
        Assert.Contains(noMapping.Diagnostics, d => d.Code == "MLG106" && d.Message.Contains("no package source mapping", StringComparison.Ordinal));
    }

    [Fact]
    public void Denied_and_lookalike_packages_are_MLG107_and_MLG108()
    {
        var p = Project(Ref("Contoso.Good", "1.0.0") + "\n" + Ref("Newtonsoft.Jsom", "1.0.0"), body: """
              <ItemGroup>
                <MlDeniedPackage Include="Contoso.Good" Versions="[1.0.0, 2.0.0)" Reason="replaced by Contoso.Better, see SEC-12" />
              </ItemGroup>
            """);

        var result = p.Build();

        Assert.Equal(1, result.ExitCode);
        var denied = result.Diagnostics.Single(d => d.Code == "MLG107");
        Assert.Equal(("error", p.LineOf("\"Contoso.Good\"")), (denied.Kind, denied.Line));
        Assert.Contains("replaced by Contoso.Better, see SEC-12", denied.Message, StringComparison.Ordinal);
        var lookalike = result.Diagnostics.Single(d => d.Code == "MLG108");
        Assert.Equal("warning", lookalike.Kind);
        Assert.Contains("'Newtonsoft.Json'", lookalike.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Python_requirements_must_be_pinned_and_hashed_MLG109()
    {
        var p = Project(Ref("Contoso.Good", "1.0.0"), body: """
              <ItemGroup>
                <MlPythonRequirements Include="train/requirements.txt" />
              </ItemGroup>
            """);
        var hash = new string('a', 64);
        p.Write("train/requirements.txt", $"numpy==2.1.0 --hash=sha256:{hash}\ntorch>=2.0\nscikit-learn==1.5.2\n");

        var result = p.Build();

        Assert.Equal(1, result.ExitCode);
        var findings = result.Diagnostics.Where(d => d.Code == "MLG109").OrderBy(d => d.Line).ToList();
        Assert.Equal([2, 3], findings.Select(d => d.Line));
        Assert.Contains("not pinned to one version", findings[0].Message, StringComparison.Ordinal);
        Assert.Contains("has no --hash", findings[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_vulnerable_transitive_package_is_MLG201_with_its_path_and_the_error_level_is_configurable()
    {
        var p = Project(Ref("Contoso.Wrapper", "1.0.0"));

        var result = p.Build();
        var lowered = p.Build("--no-restore", "-p:MlGuardAuditErrorLevel=critical");

        Assert.Equal(1, result.ExitCode);
        var finding = result.Diagnostics.Single(d => d.Code == "MLG201");
        Assert.Equal(("error", p.LineOf("Contoso.Wrapper")), (finding.Kind, finding.Line));
        foreach (var part in new[] { "Contoso.Vulnerable 1.0.0", "high severity", "https://advisories.example.test/CONTOSO-2026-1", "[1.0.0, 1.0.1)", "first fixed in 1.0.1", "Contoso.Wrapper 1.0.0 -> Contoso.Vulnerable 1.0.0" })
        {
            Assert.Contains(part, finding.Message, StringComparison.Ordinal);
        }

        Assert.Equal(0, lowered.ExitCode);
        Assert.Equal("warning:MLG201", Codes(lowered));
    }

    [Fact]
    public void Offline_advisories_are_used_without_asking_any_feed()
    {
        var folder = Path.Combine(packages.Root, "osv-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "CONTOSO-OSV-1.json"), """
            { "id": "CONTOSO-OSV-1", "modified": "2026-01-01T00:00:00Z",
              "affected": [ { "package": { "ecosystem": "NuGet", "name": "Contoso.Vulnerable" },
                              "ranges": [ { "type": "ECOSYSTEM", "events": [ { "introduced": "0" }, { "fixed": "1.0.1" } ] } ] } ],
              "severity": [ { "type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" } ] }
            """);
        var p = Project(Ref("Contoso.Vulnerable", "1.0.0"), $"<MlGuardOffline>true</MlGuardOffline><MlGuardAdvisoryDatabase>{SecurityElement.Escape(folder)}</MlGuardAdvisoryDatabase><NuGetAudit>false</NuGetAudit>");
        Assert.Equal(0, p.Restore().ExitCode);
        var before = contoso.Feed.Requests.Count;

        var result = p.Build("--no-restore");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("a known vulnerability of critical severity, CONTOSO-OSV-1", result.Diagnostics.Single(d => d.Code == "MLG201").Message, StringComparison.Ordinal);
        Assert.Equal(before, contoso.Feed.Requests.Count);
    }

    [Fact]
    public void A_deprecated_package_is_MLG202_with_its_alternative()
    {
        var p = Project(Ref("Contoso.Deprecated", "1.0.0"));

        var result = p.Build();

        Assert.Equal(0, result.ExitCode);
        var finding = result.Diagnostics.Single(d => d.Code == "MLG202");
        Assert.Equal("warning", finding.Kind);
        Assert.Contains("deprecated (Legacy): No longer maintained; use Contoso.Good [1.0.0, ) instead", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_vulnerability_data_the_build_warns_MLG203_and_CI_fails()
    {
        var offline = Project(Ref("Contoso.Good", "1.0.0"), "<MlGuardOffline>true</MlGuardOffline><MlGuardAdvisoryDatabase></MlGuardAdvisoryDatabase><NuGetAudit>false</NuGetAudit>");
        var broken = Project(Ref("Contoso.Good", "1.0.0"), auditSource: contoso.Feed.BrokenSourceUrl);

        var warned = offline.Build();
        var onCi = offline.Build("--no-restore", "-p:ContinuousIntegrationBuild=true", "-p:RestoreLockedMode=true");
        var unreadable = broken.Build();

        Assert.Equal(0, warned.ExitCode);
        Assert.Equal("warning:MLG203", Codes(warned));
        Assert.Equal(1, onCi.ExitCode);
        Assert.Equal("error:MLG203", Codes(onCi));
        Assert.Contains(unreadable.Diagnostics, d => d.Code == "MLG203" && d.Message.Contains(contoso.Feed.BrokenSourceUrl, StringComparison.Ordinal));
    }

    [Fact]
    public void A_multi_targeted_project_is_checked_once()
    {
        // net9.0's reference pack comes from nuget.org, mapped for Microsoft.* only.
        var p = Project(Ref("Contoso.Good", "1.0.0"), tfm: "net10.0;net9.0", nugetOrg: true, body: """
              <ItemGroup>
                <MlDeniedPackage Include="Contoso.Good" Reason="test" />
              </ItemGroup>
            """);

        var result = p.Build("-m:1");

        Assert.Equal(1, result.ExitCode);
        var lines = result.Output.Split('\n').Where(l => l.Contains("error MLG107", StringComparison.Ordinal)).Select(l => l.Trim()).Distinct().ToList();
        Assert.Single(lines);
    }
}
