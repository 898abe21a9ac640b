using System.Text;
using System.Text.Json;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Provenance;
using MlBuildGuard.Core.Reporting;

namespace MlBuildGuard.Fuzz.Tests;

/// <summary>
/// What the SARIF log and the provenance are made from: the per-guard findings files under obj/ (a damaged one is
/// reported, not dropped), and the git metadata and package digests the provenance records.
/// </summary>
public sealed class ReportingFuzzTests(ITestOutputHelper output)
{
    [Fact]
    public void Findings_files_make_a_SARIF_log_that_parses()
    {
        using var folder = new TempDirectory("mlguard-fuzz-findings");
        var records = new[]
        {
            FindingRecord.From(Finding.Create(RuleCatalog.TrainingInputPatternEmpty, new SourceLocation(folder.Combine("app.csproj"), 12, 6), "x/*.csv", "x/*.csv"), Severity.Warning),
            FindingRecord.From(Finding.Create(RuleCatalog.TrainingInputChanged, new SourceLocation(folder.Combine("mlguard.lock.json"), 4, 5), "a.tsv", "a.tsv", "0", 1, "1", 2), Severity.Error),
        };
        FindingStore.Write(folder.Path, "training-inputs", records);
        FindingStore.Write(folder.Path, "dependencies", records[..1]);
        var sample = File.ReadAllBytes(folder.Combine("training-inputs.json"));
        Fuzzer.Run(output, "findings files (SARIF input)", [sample], input =>
        {
            File.WriteAllBytes(folder.Combine("training-inputs.json"), input);
            var sarif = SarifWriter.ToBytes(FindingStore.ReadAll(folder.Path), folder.Path, "1.0.0");
            using var parsed = JsonDocument.Parse(sarif);
        }, JsonMutator.Mutate);
    }

    [Theory]
    [InlineData("HEAD", "ref: refs/heads/main\n")]
    [InlineData("packed-refs", "# pack-refs with: peeled fully-peeled sorted\n0123456789abcdef0123456789abcdef01234567 refs/heads/main\n^89abcdef0123456789abcdef0123456789abcdef\n")]
    [InlineData("config", "[core]\n\tbare = false\n[remote \"origin\"]\n\turl = https://user:secret@example.org/repo.git\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n")]
    [InlineData("commondir", "../..\n")]
    public void Git_metadata_gives_a_revision_or_none(string file, string content)
    {
        using var repository = new TempDirectory("mlguard-fuzz-git");
        repository.Write(".git/HEAD", "ref: refs/heads/main\n");
        repository.Write(".git/packed-refs", "0123456789abcdef0123456789abcdef01234567 refs/heads/main\n");
        repository.Write(".git/config", "[remote \"origin\"]\n\turl = https://example.org/repo.git\n");
        Directory.CreateDirectory(repository.Combine("src", "app"));
        string[] tokens = ["ref:", "refs/heads/", "refs/tags/v1", "..", "/", "[", "]", "\"", "url =", "[remote \"origin\"]", "gitdir:", "0123456789abcdef0123456789abcdef01234567", "^", "#", "\\"];
        Fuzzer.Run(output, $"git {file} (provenance)", [Encoding.UTF8.GetBytes(content)], input =>
        {
            File.WriteAllBytes(repository.Combine(".git", file), input);
            GitRevision.Find(repository.Combine("src", "app"));
        }, (random, sample) => TextMutator.Mutate(random, sample, tokens));
    }
}
