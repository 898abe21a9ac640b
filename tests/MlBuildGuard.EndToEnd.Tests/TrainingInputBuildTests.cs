using System.Text.Json;
using MlBuildGuard.EndToEnd.Tests.Infrastructure;

namespace MlBuildGuard.EndToEnd.Tests;

/// <summary>The training-input guard through a real `dotnet build` of a project that references the packed package.</summary>
[Collection(PackagesCollection.Name)]
public sealed class TrainingInputBuildTests(PackagesFixture packages)
{
    private const string Inputs = """
          <ItemGroup>
            <MlTrainingInput Include="data/*.tsv" Source="https://example.org/reviews-v1" />
          </ItemGroup>
        """;

    private TestProject NewProject(string body = Inputs, string tfm = "net10.0")
    {
        var project = new TestProject(packages).WithProject(body, tfm);
        project.Write("data/train.tsv", "label\ttext\n1\tgood\n0\tbad\n");
        return project;
    }

    private static (string Content, DateTime Written) Snapshot(string path) => (Convert.ToHexString(File.ReadAllBytes(path)), File.GetLastWriteTimeUtc(path));

    [Fact]
    public void First_build_creates_the_lock_and_an_unchanged_rebuild_passes_without_touching_it()
    {
        var p = NewProject();

        var first = p.Build();

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains("MlBuildGuard: wrote mlguard.lock.json (created): training inputs: 1 added, 0 changed, 0 removed. Commit it.", first.Output, StringComparison.Ordinal);
        Assert.Contains("  + data/train.tsv  sha256 ", first.Output, StringComparison.Ordinal);
        Assert.Empty(first.Diagnostics);
        var lockText = File.ReadAllText(p.LockFile);
        Assert.Contains("\"data/train.tsv\"", lockText, StringComparison.Ordinal);
        Assert.Contains("\"source\": \"https://example.org/reviews-v1\"", lockText, StringComparison.Ordinal);
        var before = Snapshot(p.LockFile);

        var second = p.Build("--no-restore");

        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Empty(second.Diagnostics);
        Assert.Equal(before, Snapshot(p.LockFile));
    }

    [Fact]
    public void Drift_fails_the_build_with_MLG402_at_the_lock_line_and_the_lock_is_untouched()
    {
        var p = NewProject();
        Assert.Equal(0, p.Build().ExitCode);
        var before = Snapshot(p.LockFile);
        p.Write("data/train.tsv", "label\ttext\n1\tgood\n1\tbad\n");

        var result = p.Build("--no-restore");

        Assert.Equal(1, result.ExitCode);
        var error = Assert.Single(result.Diagnostics);
        Assert.Equal(("error", "MLG402"), (error.Kind, error.Code));
        Assert.Equal(p.LockFile, error.File);
        Assert.Equal(4, error.Line);
        Assert.Contains("'data/train.tsv' changed since it was locked", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(p.LockFile));
        Assert.DoesNotContain(Directory.GetFiles(p.Directory), f => f.EndsWith(".tmp", StringComparison.Ordinal));
    }

    [Fact]
    public void Added_and_removed_inputs_are_MLG403_and_MLG404()
    {
        var p = NewProject();
        p.Write("data/extra.tsv", "x\n");
        Assert.Equal(0, p.Build().ExitCode);
        File.Delete(Path.Combine(p.Directory, "data/extra.tsv"));
        p.Write("data/new.tsv", "n\n");

        var result = p.Build("--no-restore");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(["MLG403", "MLG404"], result.Codes("error"));
        var added = result.Diagnostics.Single(d => d.Code == "MLG403");
        Assert.Equal((p.ProjectFile, p.LineOf("data/*.tsv")), (added.File, added.Line)); // the line that declares the MlTrainingInput
    }

    [Fact]
    public void Inputs_outside_the_project_or_through_an_escaping_link_are_MLG405()
    {
        var p = NewProject(Inputs + """
              <ItemGroup>
                <MlTrainingInput Include="../shared/outside.tsv" />
                <MlTrainingInput Include="data/link.tsv" />
              </ItemGroup>
            """);
        var outside = Path.Combine(Path.GetDirectoryName(p.Directory)!, "shared", "outside.tsv");
        Directory.CreateDirectory(Path.GetDirectoryName(outside)!);
        File.WriteAllText(outside, "o\n");
        File.CreateSymbolicLink(Path.Combine(p.Directory, "data", "link.tsv"), outside);

        var result = p.Build();

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(["MLG405", "MLG405"], result.Codes("error"));
        Assert.False(File.Exists(p.LockFile), "a failing build writes no lock");
    }

    [Fact]
    public void An_empty_pattern_is_a_warning_that_NoWarn_silences_and_warnaserror_promotes()
    {
        var p = NewProject(Inputs + """
              <ItemGroup>
                <MlTrainingInput Include="features/**/*.parquet" />
              </ItemGroup>
            """);

        var plain = p.Build();
        Assert.True(File.Exists(p.LockFile), "a warning does not hold the lock back");
        File.Delete(p.LockFile);
        var promoted = p.Build("--no-restore", "-warnaserror");
        var asErrorByCode = p.Build("--no-restore", "-p:WarningsAsErrors=MLG406");
        var writtenByFailedBuilds = File.Exists(p.LockFile);
        var silenced = p.Build("--no-restore", "-warnaserror", "-p:NoWarn=MLG406");

        Assert.Equal(0, plain.ExitCode);
        Assert.Equal(["MLG406"], plain.Codes("warning"));
        Assert.Equal(p.LineOf("features/**/*.parquet"), plain.Diagnostics.Single().Line);
        Assert.Equal(1, promoted.ExitCode);
        Assert.Equal(["MLG406"], promoted.Codes("error"));
        Assert.Equal(1, asErrorByCode.ExitCode);
        Assert.Equal(["MLG406"], asErrorByCode.Codes("error"));
        Assert.False(writtenByFailedBuilds, "a warning the build counts as an error fails it, and a failing build writes no lock");
        Assert.True(silenced.ExitCode == 0, silenced.ToString());
        Assert.Empty(silenced.Diagnostics);
    }

    [Fact]
    public void A_malformed_lock_is_MLG407_with_line_and_column_and_is_never_replaced()
    {
        var p = NewProject();
        const string broken = "{\n  \"version\": 1,\n  \"trainingInputs\": {\n    \"data/train.tsv\": { \"sha256\": 42 }\n  }\n}\n";
        File.WriteAllText(p.LockFile, broken);

        var result = p.Build();
        var update = p.Build("--no-restore", "-p:MlGuardUpdateLock=true");

        Assert.Equal(1, result.ExitCode);
        var error = Assert.Single(result.Diagnostics);
        Assert.Equal(("MLG407", p.LockFile, 4, 35), (error.Code, error.File, error.Line, error.Column));
        Assert.Equal(1, update.ExitCode);
        Assert.Equal(["MLG407"], update.Codes("error"));
        Assert.Equal(broken, File.ReadAllText(p.LockFile));
    }

    [Fact]
    public void On_CI_a_missing_lock_is_MLG401_and_is_not_created()
    {
        var p = NewProject();

        var result = p.Build("-p:ContinuousIntegrationBuild=true");

        Assert.Equal(1, result.ExitCode);
        // Every guard reports in the same build: this CI build also restored without locked mode (MLG103).
        Assert.Equal(["MLG103", "MLG401"], result.Codes("error"));
        Assert.False(File.Exists(p.LockFile));
    }

    [Fact]
    public void On_CI_a_matching_lock_passes_and_Update_rewrites_after_an_intended_change()
    {
        var p = NewProject();
        Assert.Equal(0, p.Build().ExitCode);
        Assert.Equal(0, p.Build("--no-restore", "-p:ContinuousIntegrationBuild=true", "-p:RestoreLockedMode=true").ExitCode);
        p.Write("data/train.tsv", "label\ttext\n1\tgreat\n");
        Assert.Equal(["MLG402"], p.Build("--no-restore", "-p:ContinuousIntegrationBuild=true", "-p:RestoreLockedMode=true").Codes("error"));

        var update = p.Build("--no-restore", "-p:MlGuardUpdateLock=true");

        Assert.True(update.ExitCode == 0, update.ToString());
        Assert.Contains("MlBuildGuard: wrote mlguard.lock.json: training inputs: 0 added, 1 changed, 0 removed. Commit it.", update.Output, StringComparison.Ordinal);
        Assert.Contains("~ data/train.tsv", update.Output, StringComparison.Ordinal);
        var ci = p.Build("--no-restore", "-p:ContinuousIntegrationBuild=true", "-p:RestoreLockedMode=true");
        Assert.True(ci.ExitCode == 0, ci.ToString());
    }

    [Fact]
    public void Suppressions_need_a_justification_and_expire()
    {
        var p = NewProject();
        Assert.Equal(0, p.Build().ExitCode);
        p.Write("data/late.tsv", "l\n");
        var project = File.ReadAllText(p.ProjectFile);

        File.WriteAllText(p.ProjectFile, project.Replace("</Project>", """
              <ItemGroup>
                <MlGuardSuppression Include="MLG403" Subject="data/late.tsv" Justification="vetted by the data team" Expires="2099-12-31" />
              </ItemGroup>
            </Project>
            """, StringComparison.Ordinal));
        var suppressed = p.Build("--no-restore");

        File.WriteAllText(p.ProjectFile, project.Replace("</Project>", """
              <ItemGroup>
                <MlGuardSuppression Include="MLG403" Subject="data/late.tsv" Justification="vetted" Expires="2020-01-01" />
                <MlGuardSuppression Include="MLG404" Subject="data/x.tsv" Expires="2099-01-01" />
              </ItemGroup>
            </Project>
            """, StringComparison.Ordinal));
        var expired = p.Build("--no-restore");

        Assert.True(suppressed.ExitCode == 0, suppressed.ToString());
        Assert.Empty(suppressed.Diagnostics);
        Assert.Equal(1, expired.ExitCode);
        Assert.Equal(["MLG002", "MLG003", "MLG403"], expired.Codes("error"));
    }

    [Fact]
    public void Sarif_lists_every_finding_of_the_build_with_locations_and_help_links()
    {
        var p = NewProject(Inputs + """
              <ItemGroup>
                <MlTrainingInput Include="missing/*.tsv" />
              </ItemGroup>
            """);
        Assert.Equal(0, p.Build("-p:NoWarn=MLG406").ExitCode); // silenced, so this run is clean and writes the lock
        Assert.True(File.Exists(p.LockFile));
        p.Write("data/train.tsv", "changed\n");

        Assert.Equal(1, p.Build("--no-restore").ExitCode);

        using var sarif = JsonDocument.Parse(File.ReadAllBytes(p.Sarif));
        var run = sarif.RootElement.GetProperty("runs").EnumerateArray().Single();
        var results = run.GetProperty("results").EnumerateArray()
            .Select(r => (Rule: r.GetProperty("ruleId").GetString(), Level: r.GetProperty("level").GetString(),
                Uri: r.GetProperty("locations")[0].GetProperty("physicalLocation").GetProperty("artifactLocation").GetProperty("uri").GetString(),
                Line: r.GetProperty("locations")[0].GetProperty("physicalLocation").GetProperty("region").GetProperty("startLine").GetInt32()))
            .OrderBy(r => r.Rule)
            .ToList();
        Assert.Equal([("MLG402", "error", "mlguard.lock.json", 4), ("MLG406", "warning", "app.csproj", p.LineOf("missing/*.tsv"))], results);
        Assert.All(run.GetProperty("tool").GetProperty("driver").GetProperty("rules").EnumerateArray(),
            r => Assert.EndsWith($"docs/rules/{r.GetProperty("id").GetString()}.md", r.GetProperty("helpUri").GetString(), StringComparison.Ordinal));
    }

    [Fact]
    public void A_promoted_warning_fails_the_first_build_and_no_lock_is_written()
    {
        var p = NewProject(Inputs + """
              <ItemGroup>
                <MlTrainingInput Include="features/*.csv" />
              </ItemGroup>
            """);

        var result = p.Build("-warnaserror");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(["MLG406"], result.Codes("error"));
        Assert.False(File.Exists(p.LockFile), "a failing build never writes the lock");
    }

    [Fact]
    public void A_build_that_fails_after_the_guards_never_writes_the_lock()
    {
        var p = NewProject();
        p.Write("Program.cs", "internal static class Program { private static void Main() { this does not compile } }\n");

        var broken = p.Build();

        Assert.Equal(1, broken.ExitCode);
        Assert.Contains("error CS", broken.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(p.LockFile), "the lock is written only once Build has succeeded");
        Assert.Empty(Directory.GetFiles(p.Directory, "mlguard.lock.json*"));

        p.Write("Program.cs", "internal static class Program { private static void Main() { } }\n");
        Assert.Equal(0, p.Build("--no-restore").ExitCode);
        Assert.True(File.Exists(p.LockFile));
    }

    [Fact]
    public void A_typo_in_MlGuardEnabled_keeps_the_guards_on_and_is_MLG002()
    {
        var p = NewProject();
        var first = p.Build("-p:MlGuardEnabled=ture");
        Assert.False(File.Exists(p.LockFile), "a build failing on its configuration writes no lock");
        Assert.Equal(0, p.Build("--no-restore").ExitCode);
        p.Write("data/train.tsv", "tampered\n");

        var result = p.Build("--no-restore", "-p:MlGuardEnabled=ture");

        Assert.Equal(1, first.ExitCode);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal(["MLG002", "MLG402"], result.Codes("error"));
        Assert.Contains("MlGuardEnabled is 'ture'", result.Diagnostics.Single(d => d.Code == "MLG002").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_configuration_is_MLG002()
    {
        var p = NewProject();

        var result = p.Build("-p:MlGuardLockMode=Sometimes");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("MlGuardLockMode is 'Sometimes'", result.Diagnostics.Single(d => d.Code == "MLG002").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unreadable_input_is_MLG004_with_a_one_line_cause()
    {
        var p = NewProject();
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", Path.Combine(p.Directory, "data", "pipe.tsv"))!)
        {
            mkfifo.WaitForExit();
        }

        var result = p.Build();

        Assert.Equal(1, result.ExitCode);
        var error = Assert.Single(result.Diagnostics);
        Assert.Equal("MLG004", error.Code);
        Assert.Contains("not a regular file", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("MSB4018", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Design_time_builds_and_disabled_guards_do_nothing()
    {
        var p = NewProject();
        Assert.Equal(0, p.Restore().ExitCode);
        var designTime = p.DesignTimeBuild();
        Assert.True(designTime.ExitCode == 0, designTime.ToString());
        Assert.DoesNotContain("MlBuildGuard", designTime.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(p.LockFile));

        var disabled = p.Build("--no-restore", "-p:MlGuardEnabled=false", "-p:ContinuousIntegrationBuild=true");

        Assert.True(disabled.ExitCode == 0, disabled.ToString());
        Assert.False(File.Exists(p.LockFile));
    }

    [Fact]
    public void A_multi_targeted_project_checks_once_and_keeps_one_consistent_lock()
    {
        var p = NewProject(tfm: "net10.0;net9.0");
        for (var i = 0; i < 30; i++)
        {
            p.Write($"data/part-{i:00}.tsv", $"row\t{i}\n");
        }

        var first = p.Build("-m:2"); // the two frameworks build in parallel nodes and race to create the lock

        Assert.True(first.ExitCode == 0, first.ToString());
        var lockText = File.ReadAllText(p.LockFile);
        Assert.Equal(31, System.Text.RegularExpressions.Regex.Matches(lockText, "\"sha256\"").Count);
        Assert.EndsWith("}\n", lockText, StringComparison.Ordinal);
        Assert.DoesNotContain(Directory.GetFiles(p.Directory), f => f.EndsWith(".tmp", StringComparison.Ordinal));
        p.Write("data/train.tsv", "tampered\n");

        var result = p.Build("--no-restore", "-m:1");

        Assert.Equal(1, result.ExitCode);
        // One check for the project: a single error, reported from one framework's build (MSBuild may echo it).
        var reports = result.Output.Split('\n').Where(l => l.Contains("error MLG402", StringComparison.Ordinal)).Select(l => l.Trim()).Distinct().ToList();
        Assert.Single(reports);
    }
}
