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
        Assert.Equal("", stdout);
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
    public void Strict_mode_and_allowed_globals_change_unknown_imports()
    {
        var custom = Pickle("custom.pkl", [0x80, 0x02, .. Encoding.ASCII.GetBytes("cmylib\nModel\n"), (byte)')', 0x81, (byte)'.']);

        Assert.Equal(0, Run("scan", custom).ExitCode);
        Assert.Equal(1, Run("scan", custom, "--strict").ExitCode);
        Assert.Equal(0, Run("scan", custom, "--strict", "--allow", "mylib.*").ExitCode);
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
