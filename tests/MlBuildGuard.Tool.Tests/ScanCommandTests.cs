using System.IO.Compression;
using System.Text;
using System.Text.Json;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Tool.Tests;

public sealed class ScanCommandTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static (int ExitCode, string Stdout, string Stderr) Run(params string[] args) => Cli.Run(args);

    private string Pickle(string name, byte[] bytes)
    {
        var path = _dir.Combine(name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static byte[] OsSystem() => [0x80, 0x02, .. Encoding.ASCII.GetBytes("cos\nsystem\n"), (byte)'X', 2, 0, 0, 0, (byte)'i', (byte)'d', 0x85, (byte)'R', (byte)'.'];

    private static byte[] Dict() => [0x80, 0x02, (byte)'}', (byte)'.'];

    [Fact]
    public void A_malicious_file_is_reported_in_canonical_form_with_exit_code_1()
    {
        var evil = Pickle("evil.pkl", OsSystem());

        var (code, stdout, stderr) = Run("scan", evil);

        Assert.Equal(1, code);
        Assert.StartsWith($"{evil}: error MLG301: evil.pkl: loading it would run shell commands and access files: it imports os.system", stdout, StringComparison.Ordinal);
        Assert.Contains("1 error(s)", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Clean_files_and_folders_exit_0_with_no_findings()
    {
        Pickle("models/a.pkl", Dict());
        var zip = _dir.Combine("models", "b.pt");
        using (var archive = ZipFile.Open(zip, ZipArchiveMode.Create))
        using (var s = archive.CreateEntry("archive/data.pkl").Open())
        {
            s.Write(Dict());
        }

        var (code, stdout, _) = Run("scan", _dir.Combine("models"), zip);

        Assert.Equal(0, code);
        Assert.DoesNotContain(": error ", stdout, StringComparison.Ordinal);
        Assert.Contains("clean    " + Path.Combine(_dir.Combine("models"), "a.pkl"), stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_scan_lists_each_file_with_its_verdict_and_formats_in_text_and_json()
    {
        var folder = _dir.Combine("hf");
        Pickle("hf/weights.pkl", Dict());
        Pickle("hf/evil.pkl", OsSystem());
        File.WriteAllText(_dir.Combine("hf", "config.json"), "{\"model_type\": \"bert\", \"hidden_size\": 8}");
        File.WriteAllText(_dir.Combine("hf", "README.md"), "# A model card\n");
        File.WriteAllBytes(_dir.Combine("hf", "blob.bin"), [0x00, 0xFF, 0x13, 0x37]);

        var (code, stdout, _) = Run("scan", folder);
        var json = Run("scan", folder, "--format", "json").Stdout;

        Assert.Equal(1, code);
        var lines = stdout.Split('\n').Where(l => !l.Contains(": error ", StringComparison.Ordinal) && l.Length > 0).ToList();
        Assert.Contains(lines, l => l.StartsWith("error ", StringComparison.Ordinal) && l.Contains("evil.pkl", StringComparison.Ordinal) && l.EndsWith("pickle", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("clean ", StringComparison.Ordinal) && l.Contains("config.json", StringComparison.Ordinal) && l.EndsWith("json", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("clean ", StringComparison.Ordinal) && l.Contains("README.md", StringComparison.Ordinal) && l.EndsWith("text", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("skipped ", StringComparison.Ordinal) && l.Contains("blob.bin", StringComparison.Ordinal) && l.EndsWith("not a model", StringComparison.Ordinal));
        using var doc = JsonDocument.Parse(json);
        var byName = doc.RootElement.GetProperty("files").EnumerateArray().ToDictionary(f => Path.GetFileName(f.GetProperty("path").GetString()!));
        Assert.Equal(5, byName.Count);
        Assert.Equal("skipped", byName["blob.bin"].GetProperty("verdict").GetString());
        Assert.Equal("error", byName["evil.pkl"].GetProperty("verdict").GetString());
        Assert.Equal("pickle", byName["weights.pkl"].GetProperty("formats")[0].GetString());
    }

    [Fact]
    public void Json_output_lists_files_findings_and_help_links()
    {
        var evil = Pickle("evil.pkl", OsSystem());
        var clean = Pickle("clean.pkl", Dict());

        var (code, stdout, _) = Run("scan", evil, clean, "--format", "json");

        Assert.Equal(1, code);
        using var doc = JsonDocument.Parse(stdout);
        var files = doc.RootElement.GetProperty("files").EnumerateArray().ToList();
        Assert.False(files[0].GetProperty("clean").GetBoolean());
        Assert.True(files[1].GetProperty("clean").GetBoolean());
        var finding = files[0].GetProperty("findings")[0];
        Assert.Equal(("MLG301", "error"), (finding.GetProperty("code").GetString(), finding.GetProperty("severity").GetString()));
        Assert.EndsWith("docs/rules/MLG301.md", finding.GetProperty("help").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Sarif_output_goes_to_a_file()
    {
        var evil = Pickle("evil.pkl", OsSystem());
        var report = _dir.Combine("out", "scan.sarif");

        var (code, stdout, _) = Run("scan", evil, "--format", "sarif", "--output", report);

        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        using var doc = JsonDocument.Parse(File.ReadAllBytes(report));
        Assert.Equal("2.1.0", doc.RootElement.GetProperty("version").GetString());
        Assert.Equal("MLG301", doc.RootElement.GetProperty("runs")[0].GetProperty("results")[0].GetProperty("ruleId").GetString());
    }

    [Fact]
    public void Unknown_imports_fail_by_default_as_in_the_build_and_allowed_globals_or_strict_false_change_that()
    {
        var custom = Pickle("custom.pkl", [0x80, 0x02, .. Encoding.ASCII.GetBytes("cmylib\nModel\n"), (byte)')', 0x81, (byte)'.']);

        var byDefault = Run("scan", custom);
        Assert.Equal(1, byDefault.ExitCode);
        Assert.Contains("error MLG302", byDefault.Stdout, StringComparison.Ordinal);
        Assert.Equal(1, Run("scan", custom, "--strict").ExitCode);
        Assert.Equal(0, Run("scan", custom, "--strict", "false").ExitCode);
        Assert.Equal(0, Run("scan", custom, "--allow", "mylib.*").ExitCode);
        Assert.Equal(0, Run("scan", custom, "--allow", "mylib.Model").ExitCode);
    }

    [Theory]
    [InlineData("scan")]
    [InlineData("scan", "/no/such/model.pt")]
    [InlineData("scan", "x.pt", "--format", "xml")]
    public void Usage_and_io_errors_exit_2(params string[] args)
    {
        Assert.Equal(2, Run(args).ExitCode);
    }
}
