using System.IO.Compression;
using System.Text;
using MlBuildGuard.Core.Dependencies.Advisories;
using MlBuildGuard.Testing;
using NuGet.Versioning;

namespace MlBuildGuard.Core.Tests.Dependencies;

public class OfflineAdvisoryDatabaseTests
{
    private static string WidgetOsv(string id = "GHSA-aaaa-bbbb-cccc", string package = "Contoso.Widget") =>
        AdvisoryReadersTests.Osv(id, AdvisoryReadersTests.Events("""{ "introduced": "0" }""", """{ "fixed": "1.2.4" }"""), package: package);

    private const string Page = """{ "Contoso.Gadget": [ { "url": "https://example.test/advisories/7", "severity": 3, "versions": "[1.0.0, 3.0.0)" } ] }""";

    private static void WriteZip(string path, params (string Name, byte[] Content)[] entries)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (name, content) in entries)
        {
            using var stream = zip.CreateEntry(name, CompressionLevel.Optimal).Open();
            stream.Write(content);
        }
    }

    [Fact]
    public void Reads_OSV_files_and_VulnerabilityInfo_pages_in_nested_folders()
    {
        using var dir = new TempDirectory();
        dir.Write("osv/GHSA-aaaa-bbbb-cccc.json", WidgetOsv());
        dir.Write("nuget/page.JSON", Page);
        dir.Write("README.md", "not read");

        var result = OfflineAdvisoryDatabase.Load(dir.Path);

        Assert.Empty(result.Problems);
        Assert.Equal(2, result.Documents);
        Assert.Equal(2, result.Advisories.Count);
        Assert.Single(result.Advisories.Affecting("Contoso.Widget", NuGetVersion.Parse("1.2.3")));
        Assert.Equal(AdvisorySeverity.Critical, Assert.Single(result.Advisories.Affecting("Contoso.Gadget", NuGetVersion.Parse("2.0.0"))).Severity);
    }

    [Fact]
    public void A_bad_file_is_a_problem_with_its_line_and_column_and_is_not_skipped()
    {
        using var dir = new TempDirectory();
        dir.Write("good.json", WidgetOsv());
        var bad = dir.Write("bad.json", "{\n  \"Contoso.Gadget\": [ { \"url\": \"https://example.test/a\", \"versions\": \"[1.0.0, 2.0.0)\" ]\n}\n");

        var result = OfflineAdvisoryDatabase.Load(dir.Path);

        var problem = Assert.Single(result.Problems);
        Assert.Equal(bad, problem.File);
        Assert.Equal(2, problem.Line);
        Assert.True(problem.Column > 1, $"column {problem.Column}");
        Assert.StartsWith("invalid JSON", problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_is_valid_JSON_but_no_advisory_is_a_problem()
    {
        using var dir = new TempDirectory();
        var bad = dir.Write("odd.json", """{ "Contoso.Gadget": [ { "url": "advisories/7", "versions": "[1.0.0, 2.0.0)" } ] }""");

        var problem = Assert.Single(OfflineAdvisoryDatabase.Load(dir.Path).Problems);

        Assert.Equal(bad, problem.File);
        Assert.Contains("http(s) 'url'", problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_folder_is_a_problem()
    {
        using var dir = new TempDirectory();
        dir.Write("notes.txt", "no advisories here");

        var result = OfflineAdvisoryDatabase.Load(dir.Path);

        var problem = Assert.Single(result.Problems);
        Assert.Equal(dir.Path, problem.File);
        Assert.Contains("holds no .json or .zip files", problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_folder_is_a_problem()
    {
        using var dir = new TempDirectory();

        var result = OfflineAdvisoryDatabase.Load(dir.Combine("advisories"));

        var problem = Assert.Single(result.Problems);
        Assert.Equal(dir.Combine("advisories"), problem.File);
        Assert.Contains("does not exist", problem.Reason, StringComparison.Ordinal);
        Assert.Equal(0, result.Advisories.Count);
    }

    [Fact]
    public void Reads_the_JSON_entries_of_a_zip()
    {
        using var dir = new TempDirectory();
        WriteZip(dir.Combine("all.zip"),
            ("GHSA-aaaa-bbbb-cccc.json", Encoding.UTF8.GetBytes(WidgetOsv())),
            ("nested/GHSA-dddd-eeee-ffff.json", Encoding.UTF8.GetBytes(WidgetOsv("GHSA-dddd-eeee-ffff", "Contoso.Gadget"))),
            ("LICENSE", Encoding.UTF8.GetBytes("not JSON, not read")));

        var result = OfflineAdvisoryDatabase.Load(dir.Path);

        Assert.Empty(result.Problems);
        Assert.Equal(2, result.Documents);
        Assert.Single(result.Advisories.Affecting("Contoso.Widget", NuGetVersion.Parse("1.0.0")));
        Assert.Single(result.Advisories.Affecting("Contoso.Gadget", NuGetVersion.Parse("1.0.0")));
    }

    [Fact]
    public void A_bad_entry_of_a_zip_is_a_problem_named_by_zip_and_entry()
    {
        using var dir = new TempDirectory();
        var zip = dir.Combine("all.zip");
        WriteZip(zip,
            ("GHSA-aaaa-bbbb-cccc.json", Encoding.UTF8.GetBytes(WidgetOsv())),
            ("broken.json", Encoding.UTF8.GetBytes("{ \"id\": ")));

        var result = OfflineAdvisoryDatabase.Load(dir.Path);

        Assert.Equal($"{zip}!broken.json", Assert.Single(result.Problems).File);
    }

    [Fact]
    public void A_zip_entry_inflating_past_16_MiB_is_a_problem()
    {
        using var dir = new TempDirectory();
        var zip = dir.Combine("bomb.zip");
        WriteZip(zip,
            ("GHSA-aaaa-bbbb-cccc.json", Encoding.UTF8.GetBytes(WidgetOsv())),
            ("big.json", new byte[17 << 20]));

        var result = OfflineAdvisoryDatabase.Load(dir.Path);

        var problem = Assert.Single(result.Problems);
        Assert.Equal($"{zip}!big.json", problem.File);
        Assert.Contains("16 MiB", problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_is_not_a_zip_is_a_problem()
    {
        using var dir = new TempDirectory();
        var zip = dir.Write("all.zip", "this is not a zip archive");

        Assert.Equal(zip, Assert.Single(OfflineAdvisoryDatabase.Load(dir.Path).Problems).File);
    }

    [Fact]
    public void A_changed_folder_is_read_again()
    {
        using var dir = new TempDirectory();
        dir.Write("a.json", WidgetOsv());
        Assert.Empty(OfflineAdvisoryDatabase.Load(dir.Path).Problems);

        dir.Write("b.json", "{ broken");

        Assert.Single(OfflineAdvisoryDatabase.Load(dir.Path).Problems);
    }
}
