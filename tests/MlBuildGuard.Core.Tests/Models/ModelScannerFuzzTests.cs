using System.Text.Json;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Models;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests.Models;

/// <summary>
/// Robustness of the whole scanner (format sniffing, pickle VM, zip/tar/compressed containers, every validator): each
/// corpus file, benign, malicious and real, mutated many times with fixed seeds. Every input must end with findings,
/// never an exception, and within a generous bound that only a hang or a runaway loop would exceed.
/// </summary>
public class ModelScannerFuzzTests
{
    // MLGUARD_FUZZ_MUTATIONS raises the count for a deeper local run; CI uses the default.
    private static readonly int MutationsPerFile =
        int.TryParse(Environment.GetEnvironmentVariable("MLGUARD_FUZZ_MUTATIONS"), out var n) && n > 0 ? n : 24;
    private const int MaxSampleBytes = 256 * 1024;

    private static readonly string Corpus = RepositoryPaths.Combine("tests", "corpus");

    public static TheoryData<string> Samples()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Corpus, "manifest.json")));
        var data = new TheoryData<string>();
        foreach (var group in doc.RootElement.EnumerateArray()
                     .Select(e => e.GetProperty("file").GetString()!)
                     .Where(f => File.Exists(Path.Combine(Corpus, f)) && new FileInfo(Path.Combine(Corpus, f)).Length <= MaxSampleBytes)
                     .GroupBy(f => f.Split('/')[^2]))
        {
            data.Add(group.Key);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public async Task Mutated_corpus_files_are_scanned_without_exceptions_or_hangs(string category)
    {
        using var temp = new TempDirectory();
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Corpus, "manifest.json")));
        var files = doc.RootElement.EnumerateArray()
            .Select(e => e.GetProperty("file").GetString()!)
            .Where(f => f.Split('/')[^2] == category && File.Exists(Path.Combine(Corpus, f)) && new FileInfo(Path.Combine(Corpus, f)).Length <= MaxSampleBytes)
            .ToList();
        Assert.NotEmpty(files);

        var random = new Random(category.Aggregate(17, (h, c) => (h * 31) + c));
        var scanned = 0;
        foreach (var file in files)
        {
            var sample = File.ReadAllBytes(Path.Combine(Corpus, file));
            for (var i = 0; i < MutationsPerFile; i++)
            {
                var input = InputMutator.Mutate(random, sample);
                // Keep the extension: it decides whether an unrecognised file must be reported.
                var path = Path.Combine(temp.Path, $"m{i}" + Path.GetExtension(file));
                File.WriteAllBytes(path, input);

                // WaitAsync throws TimeoutException for a hang; an exception from the scanner fails the test as it is.
                IReadOnlyList<Finding> findings;
                try
                {
                    findings = await Task.Run(() => ModelScanner.ScanPath(path, new ScanOptions())).WaitAsync(TimeSpan.FromSeconds(60));
                }
                catch (Exception e)
                {
                    var kept = Path.Combine(Path.GetTempPath(), $"mlguard-fuzz-{category}-{i}{Path.GetExtension(file)}");
                    File.WriteAllBytes(kept, input);
                    throw new InvalidOperationException($"scanning mutation #{i} of {file} failed (input kept at {kept})", e);
                }

                Assert.DoesNotContain(findings, f => f.Code == RuleCatalog.InternalFailure.Code);
                Assert.All(findings, f => Assert.StartsWith("MLG3", f.Code));
                scanned++;
            }
        }

        Assert.Equal(files.Count * MutationsPerFile, scanned);
    }
}
