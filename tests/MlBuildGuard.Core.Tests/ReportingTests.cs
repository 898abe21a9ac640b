using System.Text.Json;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Reporting;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests;

public class ReportingTests
{
    [Fact]
    public void Sarif_has_one_run_rules_with_help_links_and_results_with_locations()
    {
        using var dir = new TempDirectory();
        var lockPath = dir.Combine("mlguard.lock.json");
        var findings = new[]
        {
            FindingRecord.From(Finding.Create(RuleCatalog.TrainingInputChanged, new SourceLocation(lockPath, 4, 5), "data/a b.tsv",
                "data/a b.tsv", "x", 1, "y", 2), Severity.Error),
            FindingRecord.From(Finding.Create(RuleCatalog.TrainingInputPatternEmpty, new SourceLocation("/elsewhere/p.props", 3), "x/*", "x/*"), Severity.Warning, silenced: true),
        };

        using var doc = JsonDocument.Parse(SarifWriter.ToBytes(findings, dir.Path, "1.2.3"));

        var root = doc.RootElement;
        Assert.Equal("2.1.0", root.GetProperty("version").GetString());
        var run = Assert.Single(root.GetProperty("runs").EnumerateArray());
        var rules = run.GetProperty("tool").GetProperty("driver").GetProperty("rules").EnumerateArray().ToList();
        Assert.Equal(["MLG402", "MLG406"], rules.Select(r => r.GetProperty("id").GetString()));
        Assert.EndsWith("docs/rules/MLG402.md", rules[0].GetProperty("helpUri").GetString(), StringComparison.Ordinal);
        var results = run.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal("error", results[0].GetProperty("level").GetString());
        var location = results[0].GetProperty("locations")[0].GetProperty("physicalLocation");
        Assert.Equal("mlguard.lock.json", location.GetProperty("artifactLocation").GetProperty("uri").GetString());
        Assert.Equal("PROJECTROOT", location.GetProperty("artifactLocation").GetProperty("uriBaseId").GetString());
        Assert.Equal(4, location.GetProperty("region").GetProperty("startLine").GetInt32());
        Assert.Equal(5, location.GetProperty("region").GetProperty("startColumn").GetInt32());
        Assert.Equal("note", results[1].GetProperty("level").GetString());
        Assert.Equal("external", results[1].GetProperty("suppressions")[0].GetProperty("kind").GetString());
        Assert.StartsWith("file:///", results[1].GetProperty("locations")[0].GetProperty("physicalLocation").GetProperty("artifactLocation").GetProperty("uri").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, results[1].GetProperty("ruleIndex").GetInt32());
    }

    [Fact]
    public void Finding_files_of_each_guard_are_merged_and_a_damaged_one_is_reported()
    {
        using var dir = new TempDirectory();
        var a = FindingRecord.From(Finding.Create(RuleCatalog.LockFileMissing, null, null, "x"), Severity.Error);
        FindingStore.Write(dir.Path, "b-guard", [a]);
        FindingStore.Write(dir.Path, "a-guard", []);
        File.WriteAllText(dir.Combine("c-guard.json"), "{ not json");

        var all = FindingStore.ReadAll(dir.Path);

        Assert.Equal(["MLG401", "MLG004"], all.Select(f => f.Code));
    }

    [Fact]
    public void The_sarif_log_is_remade_unless_it_was_written_after_the_unchanged_findings_file_by_this_version()
    {
        using var dir = new TempDirectory();
        var a = FindingRecord.From(Finding.Create(RuleCatalog.LockFileMissing, null, null, "x"), Severity.Error);
        var sarif = dir.Combine("mlguard.sarif");
        var (file, changed) = FindingStore.Write(dir.Path, "guard", [a]);
        Assert.True(changed);
        Assert.False(FindingStore.SarifIsCurrent(sarif, file, changed, "1.2.3")); // no log yet

        File.WriteAllBytes(sarif, SarifWriter.ToBytes(FindingStore.ReadAll(dir.Path), dir.Path, "1.2.3"));
        (file, changed) = FindingStore.Write(dir.Path, "guard", [a]);
        Assert.False(changed);
        Assert.True(FindingStore.SarifIsCurrent(sarif, file, changed, "1.2.3"));
        Assert.False(FindingStore.SarifIsCurrent(sarif, file, findingsChanged: true, "1.2.3"));
        Assert.False(FindingStore.SarifIsCurrent(sarif, file, changed, "1.2.4")); // another MlBuildGuard wrote it
        Assert.False(FindingStore.SarifIsCurrent(sarif, file, changed, "1.2\"3"));

        File.SetLastWriteTimeUtc(sarif, File.GetLastWriteTimeUtc(file).AddSeconds(-5)); // older than the findings (a killed build)
        Assert.False(FindingStore.SarifIsCurrent(sarif, file, changed, "1.2.3"));
    }

    [Fact]
    public void Canonical_text_has_the_msbuild_shape()
    {
        var f = Finding.Create(RuleCatalog.TrainingInputNotLocked, new SourceLocation("/p/x.csproj", 7, 6), "d.tsv", "d.tsv", "abc", "mlguard.lock.json");

        Assert.Equal("/p/x.csproj(7,6): error MLG403: Training input 'd.tsv' (sha256 abc) is not in the lock file 'mlguard.lock.json'. If it is meant to be trained on, add it to the lock (dotnet build -p:MlGuardUpdateLock=true) and commit it.",
            f.ToCanonicalString());
    }
}
