using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Tasks.Tests;

/// <summary>MLG005: the summary at the end of the build names each suppression that matched no finding of the build.</summary>
public sealed class UnusedSuppressionTaskTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public UnusedSuppressionTaskTests() => File.WriteAllText(ProjectFile, "<Project />\n");

    private string ProjectFile => _dir.Combine("app.csproj");

    public void Dispose() => _dir.Dispose();

    /// <summary>data/a.tsv is locked, data/b.tsv is new (MLG403); the training-input guard runs, then the summary.</summary>
    private FakeBuildEngine Build(params ITaskItem[] suppressions)
    {
        _dir.Write("data/a.tsv", "a");
        Assert.True(Verify(new FakeBuildEngine(), [], "data/a.tsv").Execute());
        _dir.Write("data/b.tsv", "b");
        var engine = new FakeBuildEngine();
        Verify(engine, suppressions, "data/a.tsv", "data/b.tsv").Execute();
        new MlGuardReportSummary
        {
            BuildEngine = engine,
            ProjectDirectory = _dir.Path,
            ProjectFile = ProjectFile,
            Suppressions = suppressions,
            FindingsDirectory = "obj/mlguard/findings",
            SarifFile = "obj/mlguard.sarif",
            Today = "2026-11-26",
        }.Execute();
        return engine;
    }

    private MlGuardVerifyTrainingInputs Verify(IBuildEngine engine, ITaskItem[] suppressions, params string[] inputs) => new()
    {
        BuildEngine = engine,
        ProjectDirectory = _dir.Path,
        ProjectFile = ProjectFile,
        LockFile = _dir.Combine("mlguard.lock.json"),
        Inputs = inputs.Select(i => (ITaskItem)new TaskItem(i)).ToArray(),
        DeclaringFiles = [ProjectFile],
        SarifFile = "obj/mlguard.sarif",
        FindingsDirectory = "obj/mlguard/findings",
        Suppressions = suppressions,
        Today = "2026-11-26",
    };

    private static TaskItem Suppression(string code, string subject) => new(code, new Dictionary<string, string>
    {
        ["Subject"] = subject,
        ["Justification"] = "evaluation split, reviewed",
        ["Expires"] = "2027-01-31",
    });

    [Fact]
    public void A_suppression_that_matched_its_finding_is_quiet()
    {
        var engine = Build(Suppression("MLG403", "data/b.tsv"));

        Assert.Empty(engine.Errors);
        Assert.DoesNotContain(engine.Warnings, w => w.Code == "MLG005");
    }

    [Fact]
    public void A_subject_named_differently_from_the_finding_is_MLG005_naming_what_the_findings_are_about()
    {
        var engine = Build(Suppression("MLG403", "b.tsv"));

        Assert.Equal("MLG403", Assert.Single(engine.Errors).Code);
        var warning = Assert.Single(engine.Warnings, w => w.Code == "MLG005");
        Assert.Contains("The MlGuardSuppression of MLG403 for 'b.tsv' matched no finding of this build", warning.Message, StringComparison.Ordinal);
        Assert.Contains("'data/b.tsv'", warning.Message, StringComparison.Ordinal);
        Assert.Equal(ProjectFile, warning.File);
        Assert.EndsWith("/docs/rules/MLG005.md", warning.HelpLink, StringComparison.Ordinal);
    }

    [Fact]
    public void A_stale_suppression_is_MLG005_and_says_to_remove_it()
    {
        var engine = Build(Suppression("MLG403", "data/b.tsv"), Suppression("MLG402", "data/a.tsv"));

        var warning = Assert.Single(engine.Warnings, w => w.Code == "MLG005");
        Assert.Contains("MLG402 for 'data/a.tsv'", warning.Message, StringComparison.Ordinal);
        Assert.Contains("remove the suppression", warning.Message, StringComparison.Ordinal);
    }
}
