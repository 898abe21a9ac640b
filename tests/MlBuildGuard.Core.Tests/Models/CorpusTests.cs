using System.Text.Json;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Models;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests.Models;

/// <summary>
/// Every file of the committed corpus (tests/corpus, made by generate.py) scanned, never loaded, against the verdict the
/// manifest records: benign files must be clean, each malicious or broken file must produce its codes.
/// </summary>
public class CorpusTests
{
    private static readonly string Corpus = RepositoryPaths.Combine("tests", "corpus");

    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var entry in Manifest())
        {
            data.Add(entry.File);
        }

        return data;
    }

    private sealed record Entry(string File, string[] Expect, string Why);

    private static List<Entry> Manifest()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Corpus, "manifest.json")));
        return doc.RootElement.EnumerateArray().Select(e => new Entry(
            e.GetProperty("file").GetString()!,
            e.GetProperty("expect").ValueKind == JsonValueKind.Array
                ? e.GetProperty("expect").EnumerateArray().Select(x => x.GetString()!).ToArray()
                : e.GetProperty("expect").GetString() == "clean" ? [] : [e.GetProperty("expect").GetString()!],
            e.GetProperty("why").GetString()!)).ToList();
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Each_corpus_file_gets_its_expected_verdict(string file)
    {
        var entry = Manifest().Single(e => e.File == file);
        var path = Path.Combine(Corpus, file);

        var findings = ModelScanner.ScanPath(path, new ScanOptions());

        var reported = findings.Where(f => f.Severity != Severity.Message).Select(f => f.Code).Distinct().Order().ToList();
        var detail = $"{file} ({entry.Why}): got [{string.Join(", ", findings.Select(f => f.Code + " " + f.Message))}]";
        if (entry.Expect.Length == 0)
        {
            Assert.True(reported.Count == 0, "expected clean: " + detail);
        }
        else
        {
            Assert.True(entry.Expect.All(reported.Contains), $"expected {string.Join("+", entry.Expect)}: " + detail);
        }
    }

    [Fact]
    public void The_corpus_covers_every_scanner_code_and_benign_files()
    {
        var expected = Manifest().SelectMany(e => e.Expect.DefaultIfEmpty("clean")).ToHashSet();

        Assert.Superset(new HashSet<string> { "clean", "MLG301", "MLG302", "MLG303", "MLG304", "MLG305", "MLG306", "MLG307" }, expected);
        Assert.True(Manifest().Count(e => e.Expect.Length == 0) >= 20, "enough benign files to measure false alarms");
    }
}
