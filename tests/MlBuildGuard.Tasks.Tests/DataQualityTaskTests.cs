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
}
