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

    [Fact]
    public void A_Release_build_gates_against_the_baseline_the_Debug_build_recorded_for_the_metrics_file_in_OutDir()
    {
        var p = new TestProject(packages, "metrics-config").WithProject("""
              <ItemGroup>
                <MlTrainingInput Include="data/eval.tsv" />
                <MlModelMetrics Include="$(OutDir)metrics.json" EvaluationInputs="data/eval.tsv" />
                <MlMetricThreshold Include="accuracy" Minimum="0.7" MaxDecrease="0.02" Direction="higher" />
              </ItemGroup>
              <Target Name="Evaluate" AfterTargets="Build">
                <Copy SourceFiles="eval/metrics.json" DestinationFiles="$(OutDir)metrics.json" />
              </Target>
            """, properties: "<MlGuardSealAfterTargets>Evaluate</MlGuardSealAfterTargets>");
        p.Write("data/eval.tsv", "label\ttext\n1\tgood\n0\tbad\n");
        p.Write("eval/metrics.json", """{ "accuracy": 0.90 }""");

        var debug = p.Build();

        Assert.True(debug.ExitCode == 0, debug.ToString());
        Assert.Equal(["metrics.json"], Core.Locking.LockFileReader.Read(p.LockFile).ModelMetrics.Keys); // SPEC §4: relative to $(OutDir)
        var lockAfterDebug = File.ReadAllText(p.LockFile);

        var release = p.Build("--no-restore", "-c", "Release");

        Assert.True(release.ExitCode == 0, release.ToString());
        Assert.Empty(release.Diagnostics);
        Assert.DoesNotContain("model metrics:", release.Output, StringComparison.Ordinal); // no new baseline staged
        Assert.Equal(lockAfterDebug, File.ReadAllText(p.LockFile));

        p.Write("eval/metrics.json", """{ "accuracy": 0.85 }""");
        var regressed = p.Build("--no-restore", "-c", "Release");

        Assert.Equal(1, regressed.ExitCode);
        var error = Assert.Single(regressed.Diagnostics);
        Assert.Equal(("error", "MLG711"), (error.Kind, error.Code));
        Assert.Contains("of 'metrics.json' is 0.85", error.Message, StringComparison.Ordinal);
        Assert.Equal(Path.Combine(p.Directory, "bin", "Release", "net10.0", "metrics.json"), error.File);
        Assert.Equal(lockAfterDebug, File.ReadAllText(p.LockFile));
    }
}
