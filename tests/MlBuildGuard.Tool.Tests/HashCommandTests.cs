using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Tool.Tests;

public sealed class HashCommandTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static (int ExitCode, string Stdout, string Stderr) Run(params string[] args) => Cli.Run(args);

    private static string Hex(string content) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content)));

    [Fact]
    public void Prints_one_sha256sum_line_per_file_and_folders_recursively_in_ordinal_order()
    {
        _dir.Write("d/b.txt", "b");
        _dir.Write("d/a/z.txt", "z");
        _dir.Write("d/B.txt", "B");
        var single = _dir.Write("one.bin", "1");

        var (code, stdout, stderr) = Run("hash", _dir.Combine("d"), single);

        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        var d = _dir.Combine("d");
        Assert.Equal(
            $"{Hex("B")}  {d}/B.txt\n{Hex("z")}  {d}/a/z.txt\n{Hex("b")}  {d}/b.txt\n{Hex("1")}  {single}\n",
            stdout);
    }

    [LinuxFact]
    public void Output_is_accepted_by_sha256sum_including_names_it_must_escape()
    {
        _dir.Write("data/plain.csv", "1,2\n");
        _dir.Write("data/back\\slash.csv", "x");
        _dir.Write("data/new\nline.csv", "y");
        _dir.Write("data/ünïcode.csv", "z");
        var (code, stdout, _) = Run("hash", _dir.Combine("data"));
        Assert.Equal(0, code);
        Assert.Equal(2, stdout.Split('\n').Count(l => l.StartsWith('\\'))); // the two names sha256sum escapes

        var sums = _dir.Write("SHA256SUMS", stdout);
        var check = RunTool("sha256sum", _dir.Path, "-c", sums);

        Assert.True(check.ExitCode == 0, check.Output);
        Assert.Equal(4, check.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.EndsWith(": OK", StringComparison.Ordinal)));

        _dir.Write("data/plain.csv", "1,3\n");
        Assert.NotEqual(0, RunTool("sha256sum", _dir.Path, "-c", sums).ExitCode);
    }

    [LinuxFact]
    public void Matches_sha256sum_on_a_file_larger_than_the_read_buffer()
    {
        var bytes = new byte[(3 << 20) + 7];
        new Random(42).NextBytes(bytes);
        var path = _dir.Combine("big.bin");
        File.WriteAllBytes(path, bytes);

        var ours = Run("hash", path).Stdout;
        var theirs = RunTool("sha256sum", _dir.Path, path).Output;

        Assert.Equal(theirs, ours);
    }

    [Fact]
    public void Links_to_folders_are_not_followed_and_special_files_never_opened()
    {
        _dir.Write("d/real.txt", "r");
        _dir.Write("outside/secret.txt", "s");
        Directory.CreateSymbolicLink(_dir.Combine("d/loop"), _dir.Combine("d"));
        Directory.CreateSymbolicLink(_dir.Combine("d/out"), _dir.Combine("outside"));

        var (code, stdout, stderr) = Run("hash", _dir.Combine("d"));

        Assert.Equal(0, code);
        Assert.Single(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("a link to a folder; not followed", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_is_an_io_error_with_exit_code_2_and_other_files_are_still_hashed()
    {
        var ok = _dir.Write("ok.txt", "ok");

        var (code, stdout, stderr) = Run("hash", ok, _dir.Combine("missing.txt"));

        Assert.Equal(2, code);
        Assert.Equal($"{Hex("ok")}  {ok}\n", stdout);
        Assert.Contains("missing.txt: No such file or directory", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData]
    [InlineData("hash")]
    [InlineData("hash", "--no-such-option", "x")]
    [InlineData("frobnicate")]
    public void Usage_errors_are_exit_code_2(params string[] args)
    {
        var (code, _, stderr) = Run(args);

        Assert.Equal(2, code);
        Assert.Contains("mlguard", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Help_is_not_an_error()
    {
        var (code, stdout, _) = Run("hash", "--help");

        Assert.Equal(0, code);
        Assert.Contains("sha256sum", stdout, StringComparison.Ordinal);
    }

    private static (int ExitCode, string Output) RunTool(string tool, string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo(tool) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var p = Process.Start(start)!;
        var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output);
    }
}
