using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.IO;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests;

/// <summary>A guard's recorded answer is replayed only while every setting and every file it rests on is exactly as recorded.</summary>
public sealed class GuardVerdictTests : IDisposable
{
    private readonly TempDirectory _dir = new("mlguard-verdict");

    public void Dispose() => _dir.Dispose();

    private string VerdictPath => _dir.Combine("obj", "guard.answer");

    private GuardVerdict Begin(string setting, params string[] files) =>
        GuardVerdict.At(VerdictPath, "test")!.Add(setting).Rests(new BuildFileLedger(_dir.Path), files);

    private static Finding AFinding(string file) =>
        Finding.Create(RuleCatalog.CredentialFound, new SourceLocation(file, 3, 7), "data.csv", "data.csv", "an AWS access key", "line 3", "aws-access-key", "0123abcd");

    /// <summary>Files written more than the racy window ago (their change time cannot be set back, so the test waits).</summary>
    private string[] AgedFiles(params string[] names)
    {
        var paths = names.Select(n => _dir.Write(n, "content of " + n)).ToArray();
        Thread.Sleep(GuardVerdict.RacyWindow + TimeSpan.FromMilliseconds(200));
        return paths;
    }

    [Fact]
    public void The_answer_is_replayed_with_its_findings_and_payload_while_nothing_moved_and_never_when_anything_did()
    {
        var files = AgedFiles("data.csv", "schema.yaml");
        var finding = AFinding(files[0]);
        Begin("mode=Auto", files).Record([finding], "{\"inputs\":2}");

        var replay = Begin("mode=Auto", files).TryReplay();
        Assert.NotNull(replay);
        Assert.Equal("{\"inputs\":2}", replay.Payload);
        var replayed = Assert.Single(replay.Findings);
        Assert.Equal((finding.Code, finding.Severity, finding.Message, finding.Subject), (replayed.Code, replayed.Severity, replayed.Message, replayed.Subject));
        Assert.Equal((files[0], 3, 7), (replayed.Location!.FilePath, replayed.Location.Line, replayed.Location.Column));

        Assert.Null(Begin("mode=Update", files).TryReplay()); // another setting
        Assert.Null(Begin("mode=Auto", files[0]).TryReplay()); // another set of files
        Assert.Null(Begin("mode=Auto", [.. files, _dir.Combine("new.csv")]).TryReplay());

        // Same size, same modification time, other bytes: the change time and (for a replaced file) the identity move.
        var modified = File.GetLastWriteTimeUtc(files[1]);
        File.WriteAllText(files[1], "CONTENT OF schema.yaml");
        File.SetLastWriteTimeUtc(files[1], modified);
        Assert.Null(Begin("mode=Auto", files).TryReplay());
    }

    [Fact]
    public void A_file_that_is_missing_is_part_of_the_answer_and_its_appearance_undoes_it()
    {
        var files = AgedFiles("data.csv");
        var baseline = _dir.Combine("baseline.json");
        Begin("s", [files[0], baseline]).Record([], "0");
        Assert.NotNull(Begin("s", [files[0], baseline]).TryReplay());

        _dir.Write("baseline.json", "{}");
        Assert.Null(Begin("s", [files[0], baseline]).TryReplay());
    }

    [Fact]
    public void No_answer_is_kept_for_a_file_changed_within_the_racy_window_or_for_a_folder_and_an_old_one_is_removed()
    {
        var aged = AgedFiles("data.csv");
        Begin("s", aged).Record([], "0");
        Assert.True(File.Exists(VerdictPath));

        var fresh = _dir.Write("fresh.csv", "x\n1\n"); // may change again within the same timestamp
        Begin("s", [aged[0], fresh]).Record([], "0");
        Assert.False(File.Exists(VerdictPath)); // the answer that no longer holds is gone, not left to match by chance

        Directory.CreateDirectory(_dir.Combine("folder-model"));
        Thread.Sleep(GuardVerdict.RacyWindow + TimeSpan.FromMilliseconds(200));
        Begin("s", [aged[0], _dir.Combine("folder-model")]).Record([], "0"); // a folder's stamp does not cover its files
        Assert.False(File.Exists(VerdictPath));
        Assert.Null(Begin("s", [aged[0], _dir.Combine("folder-model")]).TryReplay());
    }

    [Fact]
    public void A_damaged_or_foreign_answer_file_is_not_replayed_and_there_is_none_without_a_path()
    {
        var files = AgedFiles("data.csv");
        Begin("s", files).Record([AFinding(files[0])], "1");
        var lines = File.ReadAllLines(VerdictPath);

        File.WriteAllLines(VerdictPath, [.. lines[..4], "[{\"Code\":\"MLG999\"}]"]);
        Assert.Null(Begin("s", files).TryReplay());
        File.WriteAllLines(VerdictPath, lines[..3]);
        Assert.Null(Begin("s", files).TryReplay());
        File.WriteAllText(VerdictPath, "\0\xff garbage");
        Assert.Null(Begin("s", files).TryReplay());
        using (var huge = File.Create(VerdictPath))
        {
            huge.SetLength(64L * 1024 * 1024 + 1); // sparse: larger than any answer, never read into memory
        }

        Assert.Null(Begin("s", files).TryReplay());

        Assert.Null(GuardVerdict.At(null, "test"));
        Assert.Null(GuardVerdict.At("", "test"));
    }

    [Fact]
    public void A_payload_that_spans_lines_is_not_kept()
    {
        var files = AgedFiles("data.csv");
        Begin("s", files).Record([], "two\nlines");
        Assert.Null(Begin("s", files).TryReplay());
    }
}
