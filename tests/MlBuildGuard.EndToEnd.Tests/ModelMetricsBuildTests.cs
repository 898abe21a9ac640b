using MlBuildGuard.EndToEnd.Tests.Infrastructure;

namespace MlBuildGuard.EndToEnd.Tests;

/// <summary>The model quality gate through a real `dotnet build`: MLG711 (regression), MLG712 (malformed file), MLG713 (baseline on other data).</summary>
[Collection(PackagesCollection.Name)]
public sealed class ModelMetricsBuildTests(PackagesFixture packages)
{
    private const string Gate = """
        <ItemGroup>
          <MlTrainingInput Include="data/eval.tsv" />
          <MlModelMetrics Include="metrics.json" EvaluationInputs="data/eval.tsv" />
          <MlMetricThreshold Include="accuracy" Minimum="0.7" MaxDecrease="0.02" Direction="higher" />
        </ItemGroup>
        """;

    [Fact]
    public void Metrics_are_gated_against_bounds_and_the_locked_baseline_of_the_same_evaluation_data()
    {
        var p = new TestProject(packages).WithProject(Gate);
        p.Write("data/eval.tsv", "label\ttext\n1\tgood\n0\tbad\n");
        p.Write("metrics.json", """{ "accuracy": 0.90, "loss": 0.3 }""");

        var first = p.Build();

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Empty(first.Diagnostics);
        Assert.Contains("model metrics: 1 metrics file(s), 1 changed", first.Output, StringComparison.Ordinal);
        var baseline = Core.Locking.LockFileReader.Read(p.LockFile).ModelMetrics["metrics.json"];
        Assert.Equal(0.90, baseline.Metrics["accuracy"]);
        Assert.Equal(["data/eval.tsv"], baseline.EvaluationInputs.Keys);
        var lockBefore = File.ReadAllText(p.LockFile);

        p.Write("metrics.json", """{ "accuracy": 0.85, "loss": 0.3 }""");
        var regressed = p.Build("--no-restore");

        Assert.Equal(1, regressed.ExitCode);
        var error = Assert.Single(regressed.Diagnostics);
        Assert.Equal(("error", "MLG711"), (error.Kind, error.Code));
        Assert.Contains("Metric 'accuracy' of 'metrics.json' is 0.85", error.Message, StringComparison.Ordinal);
        Assert.Equal(lockBefore, File.ReadAllText(p.LockFile));

        p.Write("metrics.json", "{ \"accuracy\": \"high\" }");
        var malformed = p.Build("--no-restore");

        Assert.Equal(1, malformed.ExitCode);
        Assert.Equal(["MLG712"], malformed.Codes("error"));

        p.Write("data/eval.tsv", "label\ttext\n1\tfine\n0\tpoor\n");
        p.Write("metrics.json", """{ "accuracy": 0.80, "loss": 0.4 }""");
        var otherData = p.Build("--no-restore", "-p:MlGuardUpdateLock=true");

        Assert.True(otherData.ExitCode == 0, otherData.ToString());
        var warning = Assert.Single(otherData.Diagnostics);
        Assert.Equal(("warning", "MLG713"), (warning.Kind, warning.Code));
        Assert.Equal(0.80, Core.Locking.LockFileReader.Read(p.LockFile).ModelMetrics["metrics.json"].Metrics["accuracy"]);
    }

    [Fact]
    public void A_missing_metrics_file_is_MLG712_after_the_build_and_no_lock_is_written()
    {
        var p = new TestProject(packages).WithProject(Gate);
        p.Write("data/eval.tsv", "label\ttext\n1\tgood\n");

        var result = p.Build();

        Assert.Equal(1, result.ExitCode);
        var error = Assert.Single(result.Diagnostics);
        Assert.Equal(("error", "MLG712"), (error.Kind, error.Code));
        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(p.LockFile));
    }
}
