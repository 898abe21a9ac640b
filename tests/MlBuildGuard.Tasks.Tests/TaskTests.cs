using System.Text.Json;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Tasks.Tests;

public sealed class TaskTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly FakeBuildEngine _engine = new();

    public TaskTests()
    {
        File.WriteAllText(ProjectFile, "<Project>\n  <ItemGroup>\n    <MlTrainingInput Include=\"data/*.tsv\" />\n  </ItemGroup>\n</Project>\n");
    }

    private string ProjectFile => _dir.Combine("app.csproj");

    private string LockFile => _dir.Combine("mlguard.lock.json");

    private string Sarif => _dir.Combine("obj", "mlguard.sarif");

    public void Dispose() => _dir.Dispose();

    private MlGuardVerifyTrainingInputs Verify(params string[] inputs) => VerifyWith(_engine, inputs);

    private MlGuardVerifyTrainingInputs VerifyWith(IBuildEngine engine, params string[] inputs) => new()
    {
        BuildEngine = engine,
        ProjectDirectory = _dir.Path,
        ProjectFile = ProjectFile,
        LockFile = LockFile,
        Inputs = inputs.Select(i => (ITaskItem)new TaskItem(i)).ToArray(),
        DeclaringFiles = [ProjectFile],
        SarifFile = "obj/mlguard.sarif",
        FindingsDirectory = "obj/mlguard/findings",
        CacheFile = "obj/mlguard/cache.bin",
        Today = "2026-11-26",
    };

    /// <summary>Creates the lock in an earlier build (its own engine, so its once-per-build memory does not carry over).</summary>
    private void Lock(params string[] inputs)
    {
        Assert.True(VerifyWith(new FakeBuildEngine(), inputs).Execute());
        Assert.True(File.Exists(LockFile));
    }

    [Fact]
    public void A_no_change_build_rewrites_neither_its_findings_file_nor_the_SARIF_log_and_a_change_rewrites_both()
    {
        _dir.Write("data/a.tsv", "a");
        Lock("data/a.tsv");
        var sarif = _dir.Combine("obj", "mlguard.sarif");
        var findings = _dir.Combine("obj", "mlguard", "findings", "training-inputs.json");
        var longAgo = new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc); // a file written again would have a time of now
        File.SetLastWriteTimeUtc(sarif, longAgo);
        File.SetLastWriteTimeUtc(findings, longAgo);

        Assert.True(VerifyWith(new FakeBuildEngine(), "data/a.tsv").Execute());

        Assert.Equal(longAgo, File.GetLastWriteTimeUtc(sarif));
        Assert.Equal(longAgo, File.GetLastWriteTimeUtc(findings));

        _dir.Write("data/a.tsv", "b");
        Assert.False(VerifyWith(new FakeBuildEngine(), "data/a.tsv").Execute());

        Assert.Contains("MLG402", File.ReadAllText(sarif), StringComparison.Ordinal);
        Assert.Contains("MLG402", File.ReadAllText(findings), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("true", false)]
    [InlineData(" False ", true)]
    public void Project_items_are_scanned_by_content_unless_MlGuardScanProjectItems_is_false_and_leftover_temporary_files_never(string? scan, bool quiet)
    {
        byte[] pickle = [0x80, 0x02, (byte)'c', .. "os\nsystem\n"u8, (byte)'.'];
        Directory.CreateDirectory(_dir.Combine("data"));
        File.WriteAllBytes(_dir.Combine("data", "weights.bin"), pickle);
        File.WriteAllBytes(_dir.Combine("data", ".mlguard.lock.json.4242-0a1b2c3d.tmp"), [0x80, 0x02, (byte)'N', (byte)'.']);
        var task = new MlGuardScanModels
        {
            BuildEngine = _engine,
            ProjectDirectory = _dir.Path,
            ProjectFile = ProjectFile,
            ProjectItems = [new TaskItem("data/weights.bin"), new TaskItem("data/.mlguard.lock.json.4242-0a1b2c3d.tmp")],
            ScanProjectItems = scan,
        };

        Assert.Equal(quiet, task.Execute());

        Assert.Equal(quiet ? [] : ["MLG301"], _engine.Errors.Select(e => e.Code).Distinct());
        Assert.Contains(_engine.Messages, m => m.Message!.Contains(quiet ? "0 model(s)" : "1 model(s)", StringComparison.Ordinal));
    }

    [Fact]
    public void Drift_is_an_error_with_code_file_line_and_help_link_and_the_task_fails()
    {
        _dir.Write("data/a.tsv", "a");
        Lock("data/a.tsv");
        _dir.Write("data/a.tsv", "b");

        var ok = Verify("data/a.tsv").Execute();

        Assert.False(ok);
        var error = Assert.Single(_engine.Errors);
        Assert.Equal("MLG402", error.Code);
        Assert.Equal(LockFile, error.File);
        Assert.Equal(4, error.LineNumber);
        Assert.Equal(5, error.ColumnNumber);
        Assert.EndsWith("/docs/rules/MLG402.md", error.HelpLink, StringComparison.Ordinal);
        Assert.Equal("MLG402", error.HelpKeyword);
    }

    [Fact]
    public void Creating_the_lock_is_announced_at_high_importance()
    {
        _dir.Write("data/a.tsv", "a");

        Assert.True(Verify("data/a.tsv").Execute());

        Assert.Contains(_engine.Messages, m => m.Importance == MessageImportance.High && m.Message!.Contains("Created mlguard.lock.json with 1 training input(s)", StringComparison.Ordinal));
    }

    [Fact]
    public void A_warning_promoted_by_the_build_fails_the_task_and_is_an_error_in_sarif()
    {
        _engine.WarningsAsErrors.Add("MLG406");

        var ok = Verify().Execute();

        Assert.False(ok);
        Assert.Equal("MLG406", Assert.Single(_engine.Errors).Code);
        Assert.Equal("error", SarifLevels().Single());
    }

    [Fact]
    public void NoWarn_is_reflected_in_sarif_as_a_silenced_note()
    {
        var task = Verify();
        task.WarningsAsMessages = "CS1591;MLG406";

        Assert.True(task.Execute());

        Assert.Equal("note", SarifLevels().Single());
    }

    [Fact]
    public void A_suppressed_finding_is_a_message_and_a_suppressed_sarif_result()
    {
        var task = VerifyWithNewInputSuppressed("vetted by the data team", expires: "2026-12-01");

        Assert.True(task.Execute());

        Assert.Empty(_engine.Errors);
        Assert.Contains(_engine.Messages, m => m.Code == "MLG403" && m.Message!.Contains("suppressed until 2026-12-01 (vetted by the data team)", StringComparison.Ordinal));
        using var sarif = JsonDocument.Parse(File.ReadAllBytes(Sarif));
        var result = sarif.RootElement.GetProperty("runs")[0].GetProperty("results").EnumerateArray().Single(r => r.GetProperty("ruleId").GetString() == "MLG403");
        Assert.Equal("vetted by the data team", result.GetProperty("suppressions")[0].GetProperty("justification").GetString());
    }

    [Fact]
    public void An_expired_suppression_suppresses_nothing()
    {
        var task = VerifyWithNewInputSuppressed("old", expires: "2026-11-01");

        Assert.False(task.Execute());

        Assert.Equal("MLG403", Assert.Single(_engine.Errors).Code);
    }

    [Fact]
    public void The_configuration_task_reports_bad_values_and_suppressions()
    {
        var task = new MlGuardValidateConfiguration
        {
            BuildEngine = _engine,
            ProjectDirectory = _dir.Path,
            ProjectFile = ProjectFile,
            LockMode = "Sometimes",
            Today = "2026-11-26",
            Suppressions =
            [
                Suppression("MLG403", "data/b.tsv", "", "2027-01-01"),
                Suppression("MLG404", "data/c.tsv", "gone", "2026-01-01"),
            ],
            BooleanProperties = [new TaskItem("MlGuardEnabled", new Dictionary<string, string> { ["Value"] = "maybe" })],
        };

        Assert.False(task.Execute());

        Assert.Equal(["MLG002", "MLG002", "MLG002", "MLG003"], _engine.Errors.Select(e => e.Code).Order());
        Assert.Contains(_engine.Errors, e => e.Message!.Contains("MlGuardLockMode is 'Sometimes'", StringComparison.Ordinal));
        Assert.Contains(_engine.Errors, e => e.Message!.Contains("MlGuardEnabled is 'maybe'", StringComparison.Ordinal));
    }

    [Fact]
    public void An_unexpected_failure_is_MLG004_with_one_line_and_no_stack_trace()
    {
        var task = Verify();
        task.ProjectFile = "bad\0path.csproj";

        Assert.False(task.Execute());

        var error = Assert.Single(_engine.Errors);
        Assert.Equal("MLG004", error.Code);
        Assert.DoesNotContain("\n", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", error.Message, StringComparison.Ordinal);
        Assert.StartsWith("MlBuildGuard training-inputs failed unexpectedly", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Braces_in_paths_survive_logging()
    {
        _dir.Write("data/{0}.tsv", "a");
        Lock("data/{0}.tsv");
        _dir.Write("data/{0}.tsv", "b");

        Assert.False(Verify("data/{0}.tsv").Execute());

        Assert.Contains("'data/{0}.tsv'", Assert.Single(_engine.Errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_second_framework_build_of_the_same_project_in_one_build_does_not_repeat_the_work()
    {
        _dir.Write("data/a.tsv", "a");
        Lock("data/a.tsv");
        _dir.Write("data/a.tsv", "b");

        Assert.False(Verify("data/a.tsv").Execute());
        Assert.True(Verify("data/a.tsv").Execute());

        Assert.Single(_engine.Errors);
    }

    /// <summary>data/a.tsv is locked, data/b.tsv is new (MLG403) and named by a suppression; today is 2026-11-26.</summary>
    private MlGuardVerifyTrainingInputs VerifyWithNewInputSuppressed(string justification, string expires)
    {
        _dir.Write("data/a.tsv", "a");
        Lock("data/a.tsv");
        _dir.Write("data/b.tsv", "b");
        var task = Verify("data/a.tsv", "data/b.tsv");
        task.Suppressions = [Suppression("MLG403", "data/b.tsv", justification, expires)];
        return task;
    }

    private static TaskItem Suppression(string code, string subject, string justification, string expires) => new(code, new Dictionary<string, string>
    {
        ["Subject"] = subject,
        ["Justification"] = justification,
        ["Expires"] = expires,
    });

    private IEnumerable<string> SarifLevels()
    {
        using var sarif = JsonDocument.Parse(File.ReadAllBytes(Sarif));
        return sarif.RootElement.GetProperty("runs")[0].GetProperty("results").EnumerateArray().Select(r => r.GetProperty("level").GetString()!).ToList();
    }
}
