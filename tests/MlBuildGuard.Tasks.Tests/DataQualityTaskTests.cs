using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Tasks.Tests;

/// <summary>The training-data and metric-gate tasks: item metadata reaches the guards, findings are logged with codes, parts are staged.</summary>
public sealed class DataQualityTaskTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly FakeBuildEngine _engine = new();

    public void Dispose() => _dir.Dispose();

    private static ITaskItem Item(string spec, params (string Name, string Value)[] metadata)
    {
        var item = new TaskItem(spec);
        foreach (var (name, value) in metadata)
        {
            item.SetMetadata(name, value);
        }

        return item;
    }

    private T Configure<T>(T task) where T : MlGuardTask
    {
        task.BuildEngine = _engine;
        task.ProjectDirectory = _dir.Path;
        task.ProjectFile = _dir.Combine("app.csproj");
        task.FindingsDirectory = "obj/mlguard/findings";
        task.Today = "2026-12-01";
        return task;
    }

    [Fact]
    public void The_training_input_guard_takes_the_digests_the_data_check_read_in_the_same_build_of_the_same_project_only()
    {
        _dir.Write("data/t.csv", "x\n1\n2\n");
        ITaskItem[] inputs = [Item("data/t.csv")];
        MlGuardVerifyTrainingInputs Verify() => Configure(new MlGuardVerifyTrainingInputs { Inputs = inputs, LockFile = "mlguard.lock.json" });
        string LastLine(string guard) => _engine.Messages.Last(m => m.Message!.StartsWith($"MlBuildGuard {guard}:", StringComparison.Ordinal)).Message!;

        Assert.True(Configure(new MlGuardCheckTrainingData { Inputs = inputs, LockFile = "mlguard.lock.json" }).Execute());
        Assert.Contains("1 input(s), 1 read,", LastLine("training-data"), StringComparison.Ordinal);
        Assert.True(Verify().Execute());
        Assert.Contains("1 input(s), 0 read, 1 taken from the training-data check's read,", LastLine("training-inputs"), StringComparison.Ordinal);

        // Another build (a new engine: nothing registered) reads for itself.
        var other = new FakeBuildEngine();
        var again = Verify();
        again.BuildEngine = other;
        Assert.True(again.Execute());
        Assert.Contains("1 input(s), 1 read, 0 taken", other.Messages.Last(m => m.Message!.StartsWith("MlBuildGuard training-inputs:", StringComparison.Ordinal)).Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public void Pii_allow_metadata_makes_personal_data_a_warning_and_a_schema_profile_is_staged()
    {
        _dir.Write("data/users.csv", "id,contact\n1,ada@example.org\n2,grace@example.net\n");
        _dir.Write("data/t.csv", "x\n1\n2\n");
        _dir.Write("data/s.yaml", "fields:\n  - {name: x, type: integer}\n");
        var task = Configure(new MlGuardCheckTrainingData
        {
            Inputs = [Item("data/users.csv", ("Pii", "allow")), Item("data/t.csv", ("Schema", "data/s.yaml"))],
            LockFile = "mlguard.lock.json",
            StagingDirectory = "obj/mlguard/lock-parts",
        });

        Assert.True(task.Execute());

        var warning = Assert.Single(_engine.Warnings);
        Assert.Equal(("MLG802", _dir.Combine("data", "users.csv")), (warning.Code, warning.File));
        Assert.DoesNotContain("ada@", warning.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(task.StagedLockFile));
        var personal = Assert.Single(task.PersonalData); // for the ML-BOM; the clean input has none
        Assert.Equal(("data/users.csv", "email"), (personal.ItemSpec, personal.GetMetadata("Kinds")));
    }

    [Fact]
    public void A_metric_below_its_minimum_is_MLG711_on_the_metrics_file_and_the_task_fails_without_staging()
    {
        _dir.Write("eval/metrics.json", """{"test": {"auc": 0.61}}""");
        var task = Configure(new MlGuardGateModelMetrics
        {
            MetricsFiles = [Item("eval/metrics.json")],
            Thresholds = [Item("test.auc", ("Minimum", "0.8"))],
            LockFile = "mlguard.lock.json",
            StagingDirectory = "obj/mlguard/lock-parts",
        });

        Assert.False(task.Execute());

        var error = Assert.Single(_engine.Errors);
        Assert.Equal(("MLG711", _dir.Combine("eval", "metrics.json")), (error.Code, error.File));
        Assert.Null(task.StagedLockFile);
        var result = Assert.Single(task.GateResults); // for the provenance and the ML-BOM
        Assert.Equal(("test.auc", "eval/metrics.json", "0.61", "", "false"),
            (result.ItemSpec, result.GetMetadata("MetricsFile"), result.GetMetadata("Value"), result.GetMetadata("Baseline"), result.GetMetadata("Passed")));
    }

    /// <summary>One run of the training-data check as a build runs it: the outer or a framework build of the same project.</summary>
    private MlGuardCheckTrainingData CheckTrainingData(FakeBuildEngine engine)
    {
        var task = Configure(new MlGuardCheckTrainingData
        {
            Inputs = [Item("data/users.csv", ("Pii", "allow"))],
            LockFile = "mlguard.lock.json",
            StagingDirectory = "obj/mlguard/lock-parts",
            PersonalDataFile = "obj/mlguard/personal-data.json",
        });
        task.BuildEngine = engine;
        return task;
    }

    [Fact]
    public void A_build_that_skips_the_check_another_build_of_the_project_ran_takes_its_personal_data_kinds_from_the_staged_file()
    {
        _dir.Write("data/users.csv", "id,contact\n1,ada@example.org\n2,grace@example.net\n");
        var outer = CheckTrainingData(_engine);
        var framework = CheckTrainingData(_engine); // same build: the check is not repeated

        Assert.True(outer.Execute());
        Assert.True(framework.Execute());

        Assert.Equal(["MLG802"], _engine.Warnings.Select(w => w.Code)); // reported once, by the build that ran the check
        var personal = Assert.Single(framework.PersonalData);
        Assert.Equal(("data/users.csv", "email"), (personal.ItemSpec, personal.GetMetadata("Kinds")));

        // The next build finds no personal data: the file is rewritten, so no framework build records the old kinds.
        _dir.Write("data/users.csv", "id,contact\n1,none\n2,none\n");
        var next = new FakeBuildEngine();
        var nextOuter = CheckTrainingData(next);
        var nextFramework = CheckTrainingData(next);

        Assert.True(nextOuter.Execute());
        Assert.True(nextFramework.Execute());

        Assert.Empty(nextOuter.PersonalData);
        Assert.Empty(nextFramework.PersonalData);
        Assert.True(File.Exists(_dir.Combine("obj", "mlguard", "personal-data.json")));
    }

    [Fact]
    public void A_staged_personal_data_file_that_cannot_be_read_fails_the_build_with_MLG004_rather_than_dropping_the_kinds()
    {
        _dir.Write("data/users.csv", "id,contact\n1,ada@example.org\n2,grace@example.net\n");
        Assert.True(CheckTrainingData(_engine).Execute());
        _dir.Write("obj/mlguard/personal-data.json", "{ \"format\": ");

        var framework = CheckTrainingData(_engine);

        Assert.False(framework.Execute());
        Assert.Equal("MLG004", Assert.Single(_engine.Errors).Code);
    }

    [Fact]
    public void Gate_results_name_a_metrics_file_under_OutDir_by_its_OutDir_relative_key_and_its_full_path()
    {
        _dir.Write("bin/Release/net10.0/metrics.json", """{"auc": 0.9}""");
        var task = Configure(new MlGuardGateModelMetrics
        {
            MetricsFiles = [Item("bin/Release/net10.0/metrics.json")],
            Thresholds = [Item("auc", ("Minimum", "0.8"))],
            LockFile = "mlguard.lock.json",
            StagingDirectory = "obj/mlguard/lock-parts",
            OutputDirectory = "bin/Release/net10.0/",
            BaseOutputPath = "bin/",
        });

        Assert.True(task.Execute());

        var result = Assert.Single(task.GateResults);
        Assert.Equal(("metrics.json", _dir.Combine("bin", "Release", "net10.0", "metrics.json")), (result.GetMetadata("MetricsFile"), result.GetMetadata("Path")));
        using var part = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(task.StagedLockFile!));
        using var proposed = System.Text.Json.JsonDocument.Parse(part.RootElement.GetProperty("proposed").GetBytesFromBase64());
        Assert.Equal(["metrics.json"], proposed.RootElement.GetProperty("modelMetrics").EnumerateObject().Select(e => e.Name));
    }
}
