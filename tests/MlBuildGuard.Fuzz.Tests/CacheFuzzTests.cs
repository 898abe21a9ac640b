using System.Security.Cryptography;
using MlBuildGuard.Core.Configuration;
using MlBuildGuard.Core.Dependencies;
using MlBuildGuard.Core.Hashing;
using MlBuildGuard.Core.Models;
using MlBuildGuard.Core.Reproducibility;
using MlBuildGuard.Core.Signing;
using MlBuildGuard.Core.TrainingInputs;

namespace MlBuildGuard.Fuzz.Tests;

/// <summary>
/// The caches under obj/ are read as untrusted files: damaged, truncated or forged ones load as (partly) empty, never
/// throw, never hang and never allocate beyond their size. See docs/threat-model.md for what a cache may decide.
/// </summary>
public sealed class CacheFuzzTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _root = new("mlguard-fuzz-cache");

    public void Dispose() => _root.Dispose();

    /// <summary>Files hashed through a damaged stamp cache get their true digests: the stamps in it match nothing real.</summary>
    [Fact]
    public void The_hash_cache_costs_at_most_a_rehash()
    {
        var files = Enumerable.Range(0, 3).Select(i => _root.Write($"data/{i}.tsv", $"row {i}\n")).ToArray();
        Thread.Sleep(TimeSpan.FromSeconds(2.1)); // stamps younger than two seconds are never cached

        var truth = files.Select(f => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(f)))).ToArray();
        var path = _root.Combine("obj", "training-inputs.hashcache");
        var cache = HashCache.Empty();
        FileSetHasher.Hash(files, cache);
        cache.PruneAndSave(path, files);
        var sample = File.ReadAllBytes(path);
        var other = _root.Combine("obj", "other.hashcache");
        Fuzzer.Run(output, "training-input hash cache", [sample], input =>
        {
            File.WriteAllBytes(other, input);
            var loaded = HashCache.Load(other);
            var decoy = _root.Combine("data", "decoy.tsv");
            var hashed = FileSetHasher.Hash([.. files, decoy], loaded);
            for (var i = 0; i < files.Length; i++)
            {
                // A mutated entry may keep a real file's stamp (it is a copy of the real cache): then it decides, by design.
                if (hashed[i].Digest is not { } digest || (digest.Hex != truth[i] && !hashed[i].FromCache))
                {
                    throw new FuzzOracleException($"{files[i]} hashed to {hashed[i].Digest?.Hex ?? hashed[i].Error}");
                }
            }
        }, (random, sample) => InputMutator.Mutate(random, sample));
    }

    [Fact]
    public void The_model_scan_cache_loads_or_is_empty()
    {
        var path = _root.Combine("obj", "model-scan.cache");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var model = _root.Write("models/m.pkl", "\u0080\u0002}q\u0000.");
        var cache = ModelScanCache.Empty();
        cache.Save(path);
        Fuzzer.Run(output, "model-scan cache", [File.ReadAllBytes(path)], input =>
        {
            File.WriteAllBytes(path, input);
            ModelScanCache.Load(path);
        });
        _ = model;
    }

    [Fact]
    public void The_signature_and_normalization_caches_load_or_are_empty()
    {
        var signatures = _root.Write("obj/model-signatures.cache", $"/src/app/models/m.onnx\t{new string('a', 64)}\n/src/app/models/dir\t{new string('b', 64)}\n");
        var normalized = _root.Write("obj/model-outputs.normalized", $"mlguard-normalized-v1\n{new string('c', 64)}\n");
        Fuzzer.Run(output, "signature verdict cache", [File.ReadAllBytes(signatures)], input =>
        {
            File.WriteAllBytes(signatures, input);
            SignatureVerdictCache.Load(signatures);
        }, (random, sample) => TextMutator.Mutate(random, sample, ["\t", "\n", "/"]));
        Fuzzer.Run(output, "normalization cache", [File.ReadAllBytes(normalized)], input =>
        {
            File.WriteAllBytes(normalized, input);
            ZipNormalizationCache.Load(normalized);
        }, (random, sample) => TextMutator.Mutate(random, sample, ["mlguard-normalized-v1", new string('d', 64)]));
    }

    /// <summary>The training-input guard's verdict file: a damaged one makes the guard read the lock again, with the same result.</summary>
    [Fact]
    public void The_training_input_verdict_only_saves_reading_the_lock()
    {
        _root.Write("app/data/train.tsv", Samples.TrainingData);
        var lockPath = _root.Combine("app", "mlguard.lock.json");
        var projectFile = _root.Write("app/app.csproj", "<Project />");
        var cachePath = _root.Combine("app", "obj", "training-inputs.hashcache");
        TrainingInputResult Run() => TrainingInputGuard.Run(new TrainingInputRequest
        {
            ProjectDirectory = _root.Combine("app"),
            ProjectFile = projectFile,
            LockFilePath = lockPath,
            Mode = LockMode.Auto,
            Items = [new TrainingInputItem("data/train.tsv")],
            CacheFilePath = cachePath,
        });

        Run(); // creates the lock
        Thread.Sleep(TimeSpan.FromSeconds(2.1)); // a lock younger than two seconds gets no verdict
        Run(); // records the verdict
        var verdict = cachePath + ".verdict";
        var sample = File.ReadAllBytes(verdict);
        Fuzzer.Run(output, "training-input verdict", [sample], input =>
        {
            File.WriteAllBytes(verdict, input);
            var result = Run();
            Oracle.NoInternalFailure(result.Findings);
            if (result.Findings.Count > 0)
            {
                throw new FuzzOracleException("a damaged verdict changed the result: " + string.Join(", ", result.Findings.Select(f => f.Code)));
            }
        }, (random, sample) => TextMutator.Mutate(random, sample, ["mlguard-verdict-1", " ", "0"]));
    }

    /// <summary>Real time moved on: the files just written are past the window in which a stamp cannot be trusted.</summary>
    /// <summary>
    /// A guard's recorded answer (*.answer): a damaged one is not replayed and the guard works its answer out again; a
    /// mutation that leaves the digests whole decides by design (docs/threat-model.md), so it must still parse to findings.
    /// </summary>
    [Fact]
    public void A_damaged_guard_answer_is_worked_out_again()
    {
        var data = _root.Write("answer/data/people.csv", "name,email\nada,ada@example.org\ngrace,grace@example.net\nalan,alan@example.com\n");
        Thread.Sleep(TimeSpan.FromSeconds(2.2)); // files younger than two seconds are never part of a recorded answer
        var project = _root.Combine("answer");
        var cache = _root.Combine("answer", "obj", "training-data.hashcache");
        Core.TrainingData.TrainingDataResult Run() => Core.TrainingData.TrainingDataGuard.Run(new Core.TrainingData.TrainingDataRequest
        {
            ProjectDirectory = project,
            LockFilePath = _root.Combine("answer", "mlguard.lock.json"),
            Mode = LockMode.Auto,
            Inputs = [new Core.DataValidation.DataInputItem("data/people.csv", null, Pii: "allow")],
            CacheFilePath = cache,
        });

        var truth = Run();
        var answer = Core.IO.GuardVerdict.BesideCache(cache)!;
        Assert.True(File.Exists(answer));
        File.Delete(cache); // what is not replayed is read again, and gives the same findings
        var sample = File.ReadAllBytes(answer);
        Fuzzer.Run(output, "guard answer", [sample], input =>
        {
            File.WriteAllBytes(answer, input);
            var result = Run();
            Oracle.NoInternalFailure(result.Findings);
            if (!result.Findings.Select(f => f.Message).SequenceEqual(truth.Findings.Select(f => f.Message)) && result.FilesRead == 1)
            {
                throw new FuzzOracleException("a damaged answer changed the guard's own result: " + string.Join(", ", result.Findings.Select(f => f.Code)));
            }

            File.Delete(cache);
        }, (random, sample) => TextMutator.Mutate(random, sample, ["MLGVERDICT1", "\n", " ", "{\"", "\"email\"", "[]", "\"Code\":"]));
    }

    private sealed class Later : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + TimeSpan.FromSeconds(10);
    }

    [Fact]
    public void The_dependency_verdict_replays_or_runs_the_guard()
    {
        var app = _root.Combine("deps");
        var project = _root.Write("deps/app.csproj", "<Project />");
        _root.Write("deps/packages.lock.json", "{ \"version\": 1, \"dependencies\": { \"net10.0\": {} } }");
        var options = new DependencyVerdictOptions
        {
            Path = _root.Combine("deps", "obj", "dependencies.verdict"),
            Settings = ["Offline=true"],
            Today = new DateOnly(2026, 12, 7),
            WatchedFiles = [project],
            Clock = new Later(),
        };
        DependencyRequest Build(DependencyVerdict.Setup setup) => new()
        {
            ProjectDirectory = app,
            ProjectFile = project,
            RestorePackagesWithLockFile = "true",
            Offline = true,
        };

        var truth = DependencyVerdict.Run(options, Build).Findings;
        Assert.True(DependencyVerdict.Run(options, Build).Replayed);
        var sample = File.ReadAllBytes(options.Path);
        Fuzzer.Run(output, "dependency verdict", [sample], input =>
        {
            File.WriteAllBytes(options.Path, input);
            var result = DependencyVerdict.Run(options, Build);
            Oracle.NoInternalFailure(result.Findings);
            // A mutation that leaves the key and the stamps whole decides, by design (docs/threat-model.md); any other runs the guard.
            if (!result.Replayed && !result.Findings.SequenceEqual(truth))
            {
                throw new FuzzOracleException("a damaged verdict changed the guard's own result: " + string.Join(", ", result.Findings.Select(f => f.Code)));
            }
        }, (random, sample) => TextMutator.Mutate(random, sample, ["mlguard-dependency-verdict-1", " ", "0", "watch file ", "\"Code\":", "\n"]));
    }
}
