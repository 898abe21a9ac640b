using MlBuildGuard.Core.Configuration;
using MlBuildGuard.Core.Locking;
using MlBuildGuard.Core.Reproducibility;
using MlBuildGuard.Core.TrainingInputs;

namespace MlBuildGuard.Fuzz.Tests;

/// <summary><c>mlguard.lock.json</c>: a lock, or MLG407 with a line and column.</summary>
public sealed class LockFileFuzzTests(ITestOutputHelper output)
{
    [Fact]
    public void The_lock_reader_gives_a_lock_or_a_positioned_error()
    {
        Fuzzer.Run(output, "mlguard.lock.json", [Samples.Lock()], input => Oracle.OnlyThrows<LockFileException>(() =>
        {
            try
            {
                LockFileReader.Parse(input);
            }
            catch (LockFileException e) when (e.Line < 0 || e.Column < 0)
            {
                throw new FuzzOracleException($"MLG407 at ({e.Line},{e.Column})");
            }
        }), JsonMutator.Mutate);
    }

    [Fact]
    public void The_guards_that_read_the_lock_report_MLG407()
    {
        using var project = new TempDirectory("mlguard-fuzz-lock");
        project.Write("data/train.tsv", Samples.TrainingData);
        project.Write("data/labels.csv", "a,b\n");
        var model = project.Write("bin/Debug/net10.0/model.zip", "model");
        var lockPath = project.Combine("mlguard.lock.json");
        var projectFile = project.Write("app.csproj", "<Project />");

        Fuzzer.Run(output, "mlguard.lock.json (training-input and model-output guards)", [Samples.Lock()], input =>
        {
            File.WriteAllBytes(lockPath, input);
            var inputs = TrainingInputGuard.Run(new TrainingInputRequest
            {
                ProjectDirectory = project.Path,
                ProjectFile = projectFile,
                LockFilePath = lockPath,
                Mode = LockMode.Auto,
                Items = [new TrainingInputItem("data/train.tsv", "https://example.org/reviews-v3"), new TrainingInputItem("data/labels.csv")],
            });
            Oracle.NoInternalFailure(inputs.Findings);
            var outputs = ModelOutputGuard.Run(new ModelOutputRequest
            {
                ProjectDirectory = project.Path,
                ProjectFile = projectFile,
                LockFilePath = lockPath,
                Mode = LockMode.Locked,
                Outputs = [model],
            });
            Oracle.NoInternalFailure(outputs.Findings);
        }, JsonMutator.Mutate);
    }

    /// <summary>A staged part under obj/ that something changed during the build: read back or refused, never guessed at.</summary>
    [Fact]
    public void A_staged_lock_part_is_read_back_or_refused()
    {
        using var folder = new TempDirectory("mlguard-fuzz-part");
        var lockFile = LockFileReader.Parse(Samples.Lock());
        var sample = File.ReadAllBytes(new StagedLockPart("training inputs", lockFile, lockFile, "1 changed", ["  ~ data/train.tsv"]).Stage(folder.Path));
        var path = folder.Combine("fuzzed.lockpart");
        Fuzzer.Run(output, "staged lock part", [sample], input =>
        {
            File.WriteAllBytes(path, input);
            Oracle.OnlyThrows<InvalidDataException>(() => StagedLockPart.Read(path));
        }, JsonMutator.Mutate);
    }
}
