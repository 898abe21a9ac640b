using System.Security.Cryptography;
using System.Text.Json;
using MlBuildGuard.EndToEnd.Tests.Infrastructure;

namespace MlBuildGuard.EndToEnd.Tests;

/// <summary>
/// One build writes one consistent lock (SPEC §4): its training inputs and model outputs are committed together once the
/// build has succeeded, or not at all, and the build tells one story about it. Real builds of the packed package.
/// </summary>
[Collection(PackagesCollection.Name)]
public sealed class LockConsistencyBuildTests(PackagesFixture packages)
{
    /// <summary>
    /// A project that "trains" after Build by copying models/trained.pt to $(OutDir)model.pt, the model MlBuildGuard seals;
    /// the test retrains by rewriting models/trained.pt. One of its two training-input patterns matches no file (MLG406).
    /// </summary>
    private TestProject Trainer(string name, string targetFrameworks = "net10.0", string extraTargets = "")
    {
        var p = new TestProject(packages, name).WithProject($"""
              <PropertyGroup>
                <MlGuardSealAfterTargets>Train</MlGuardSealAfterTargets>
              </PropertyGroup>
              <ItemGroup>
                <MlTrainingInput Include="data/*.tsv" />
                <MlTrainingInput Include="features/*.parquet" />
                <MlModelOutput Include="$(OutDir)model.pt" />
              </ItemGroup>
              <Target Name="Train" AfterTargets="Build">
                <Copy SourceFiles="models/trained.pt" DestinationFiles="$(OutDir)model.pt" />
              </Target>
            {extraTargets}
            """, targetFrameworks);
        p.Write("data/train.tsv", "label\ttext\n1\tgood\n0\tbad\n");
        TestModels.WriteCheckpoint(Path.Combine(p.Directory, "models", "trained.pt"), TestModels.DataPickle(1));
        return p;
    }

    private static string Sha256Of(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    /// <summary>The lock's digest of one entry, or null when the lock has no such entry.</summary>
    private static string? Locked(TestProject p, string section, string key)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(p.LockFile));
        return document.RootElement.GetProperty(section).TryGetProperty(key, out var entry) ? entry.GetProperty("sha256").GetString() : null;
    }

    /// <summary>Every line in which the build talks about writing the lock ("will be", "was not written", "wrote", …).</summary>
    private static List<string> LockStory(CommandResult result) => result.Output.Split('\n')
        .Select(l => l.Trim())
        .Where(l => l.Contains("mlguard.lock.json", StringComparison.Ordinal)
            && (l.Contains("will ", StringComparison.Ordinal) || l.Contains("not written", StringComparison.Ordinal)
                || l.Contains("wrote", StringComparison.Ordinal) || l.Contains("Created", StringComparison.Ordinal)
                || l.Contains("Updated", StringComparison.Ordinal) || l.Contains("Recorded", StringComparison.Ordinal)))
        .ToList();

    /// <summary>A new training and new data, as a user retrains: the data file and the model both change.</summary>
    private static void Retrain(TestProject p, byte seed)
    {
        p.Write("data/train.tsv", $"label\ttext\n1\tgood\n0\tbad\n{seed % 2}\tretrained {seed}\n");
        TestModels.WriteCheckpoint(Path.Combine(p.Directory, "models", "trained.pt"), TestModels.DataPickle(seed));
    }

    [Fact]
    public void An_update_with_a_warning_and_a_retrained_model_records_the_new_data_and_the_new_model_together_once()
    {
        var p = Trainer("update-warning");
        var model = Path.Combine(p.Directory, "bin", "Debug", "net10.0", "model.pt");
        var first = p.Build("-p:NoWarn=MLG406");
        Assert.True(first.ExitCode == 0, first.ToString());
        var lockBefore = File.ReadAllBytes(p.LockFile);
        Retrain(p, 2);

        // A warning the build counts as an error fails the build, and a failing build writes nothing.
        var promoted = p.Build("--no-restore", "-p:MlGuardUpdateLock=true", "-p:WarningsAsErrors=MLG406");
        var lockAfterPromoted = File.ReadAllBytes(p.LockFile);
        // A warning does not hold the write back: the lock records the data and the model this build trained on it.
        var update = p.Build("--no-restore", "-p:MlGuardUpdateLock=true");

        Assert.Equal(1, promoted.ExitCode);
        Assert.Equal(["MLG406"], promoted.Codes("error"));
        Assert.Equal(lockBefore, lockAfterPromoted);
        Assert.Empty(LockStory(promoted));

        Assert.True(update.ExitCode == 0, update.ToString());
        Assert.Contains("MLG406", update.Codes("warning"));
        Assert.Equal(Sha256Of(Path.Combine(p.Directory, "data", "train.tsv")), Locked(p, "trainingInputs", "data/train.tsv"));
        Assert.Equal(Sha256Of(model), Locked(p, "modelOutputs", "model.pt"));
        var story = Assert.Single(LockStory(update));
        Assert.StartsWith("MlBuildGuard: wrote mlguard.lock.json", story, StringComparison.Ordinal);
        Assert.Contains("~ data/train.tsv", update.Output, StringComparison.Ordinal);
        Assert.Contains("~ model.pt", update.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_build_that_fails_after_the_seal_leaves_the_lock_as_it_was()
    {
        var p = Trainer("fails-after-seal");
        // A step of the user's own that runs after Build, after the model was sealed (here from Directory.Build.targets).
        p.Write("Directory.Build.targets", """
            <Project>
              <Target Name="EvaluateModel" AfterTargets="Build" Condition="'$(FailEvaluation)' == 'true'">
                <Error Text="The model's evaluation failed." />
              </Target>
            </Project>
            """);
        var first = p.Build("-p:NoWarn=MLG406");
        Assert.True(first.ExitCode == 0, first.ToString());
        var lockBefore = File.ReadAllBytes(p.LockFile);
        Retrain(p, 3);

        var failed = p.Build("--no-restore", "-p:MlGuardUpdateLock=true", "-p:FailEvaluation=true", "-p:NoWarn=MLG406");
        var lockAfterFailure = File.ReadAllBytes(p.LockFile);
        var retried = p.Build("--no-restore", "-p:MlGuardUpdateLock=true", "-p:NoWarn=MLG406");

        Assert.Equal(1, failed.ExitCode);
        Assert.Contains("The model's evaluation failed.", failed.Output, StringComparison.Ordinal);
        Assert.Equal(lockBefore, lockAfterFailure);
        Assert.Empty(LockStory(failed));
        Assert.True(retried.ExitCode == 0, retried.ToString());
        Assert.Equal(Sha256Of(Path.Combine(p.Directory, "bin", "Debug", "net10.0", "model.pt")), Locked(p, "modelOutputs", "model.pt"));
        Assert.Single(LockStory(retried));
    }

    [Fact]
    public void Two_frameworks_built_in_parallel_commit_one_lock_once_and_a_framework_that_fails_after_its_seal_commits_nothing()
    {
        var p = Trainer("two-frameworks", "net10.0;net9.0", """
              <Target Name="EvaluateModel" AfterTargets="MlGuardWriteProvenance" Condition="'$(TargetFramework)' == 'net9.0' and '$(FailNet9)' == 'true'">
                <Error Text="The net9.0 model's evaluation failed." />
              </Target>
            """);
        var first = p.Build("-m:2", "-p:NoWarn=MLG406");
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Single(LockStory(first));
        Retrain(p, 4);

        var update = p.Build("--no-restore", "-m:2", "-p:MlGuardUpdateLock=true", "-p:NoWarn=MLG406");
        var lockAfterUpdate = File.ReadAllBytes(p.LockFile);
        var dataDigest = Sha256Of(Path.Combine(p.Directory, "data", "train.tsv"));
        var modelDigests = new[] { "net10.0", "net9.0" }.ToDictionary(f => f, f => (string?)Sha256Of(Path.Combine(p.Directory, "bin", "Debug", f, "model.pt")));
        var lockedAfterUpdate = (Data: Locked(p, "trainingInputs", "data/train.tsv"),
            Models: modelDigests.Keys.ToDictionary(f => f, f => Locked(p, "modelOutputs", $"{f}/model.pt")));
        Retrain(p, 5);
        // net10.0 builds and seals first, then net9.0 fails after its seal: neither framework's model is recorded.
        var failed = p.Build("--no-restore", "-m:1", "-p:MlGuardUpdateLock=true", "-p:NoWarn=MLG406", "-p:FailNet9=true");

        Assert.True(update.ExitCode == 0, update.ToString());
        Assert.Equal(dataDigest, lockedAfterUpdate.Data);
        Assert.Equal(modelDigests, lockedAfterUpdate.Models);

        var story = Assert.Single(LockStory(update));
        Assert.StartsWith("MlBuildGuard: wrote mlguard.lock.json", story, StringComparison.Ordinal);
        // Each part once: the outer build's training inputs and each framework's models (a framework build on another node
        // checks the inputs again but leaves recording them to the outer build).
        Assert.Contains("training inputs: 0 added, 1 changed, 0 removed; model outputs (net10.0): 0 added, 1 changed; model outputs (net9.0): 0 added, 1 changed.", story, StringComparison.Ordinal);
        foreach (var change in new[] { "~ net10.0/model.pt", "~ net9.0/model.pt", "~ data/train.tsv" })
        {
            Assert.Single(update.Output.Split('\n'), l => l.Contains(change, StringComparison.Ordinal));
        }

        Assert.Equal(1, failed.ExitCode);
        Assert.Contains("The net9.0 model's evaluation failed.", failed.Output, StringComparison.Ordinal);
        Assert.Equal(lockAfterUpdate, File.ReadAllBytes(p.LockFile));
        Assert.Empty(LockStory(failed));
    }
}
