using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Tasks.Tests;

/// <summary>The commit task: one message about the lock, nothing written when the build counts a warning as an error.</summary>
public sealed class LockCommitTaskTests : IDisposable
{
    private readonly TempDirectory _dir = new("mlguard-commit-task");
    private readonly FakeBuildEngine _engine = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>The training-input guard of a build stages its part (and reports MLG406 for the empty pattern x/*.csv).</summary>
    private string Part()
    {
        _dir.Write("data/a.tsv", "a");
        var project = _dir.Write("app.csproj", "<Project>\n  <ItemGroup>\n    <MlTrainingInput Include=\"data/*.tsv;x/*.csv\" />\n  </ItemGroup>\n</Project>\n");
        var guard = new MlGuardVerifyTrainingInputs
        {
            BuildEngine = _engine,
            ProjectDirectory = _dir.Path,
            ProjectFile = project,
            FindingsDirectory = "obj/mlguard/findings",
            Inputs = [new TaskItem("data/a.tsv")],
            LockFile = "mlguard.lock.json",
            DeclaringFiles = [project],
            StagingDirectory = "obj/mlguard/lock-parts",
        };
        guard.Execute();
        _engine.Messages.Clear();
        return guard.StagedLockFile!;
    }

    private MlGuardCommitLock Commit(string part) => new()
    {
        BuildEngine = _engine,
        ProjectDirectory = _dir.Path,
        ProjectFile = _dir.Combine("app.csproj"),
        FindingsDirectory = "obj/mlguard/findings",
        LockParts = [new TaskItem(part)],
        LockFile = "mlguard.lock.json",
    };

    private List<string> Story() => _engine.Messages.Where(m => m.Importance == MessageImportance.High).Select(m => m.Message!).ToList();

    [Fact]
    public void The_parts_are_written_with_one_message()
    {
        Assert.True(Commit(Part()).Execute());

        Assert.True(File.Exists(_dir.Combine("mlguard.lock.json")));
        var story = Story();
        Assert.Equal(2, story.Count);
        Assert.Equal("MlBuildGuard: wrote mlguard.lock.json (created): training inputs: 1 added, 0 changed, 0 removed. Commit it.", story[0]);
        Assert.StartsWith("MlBuildGuard:   + data/a.tsv  sha256 ", story[1], StringComparison.Ordinal);
    }

    [Fact]
    public void A_warning_of_the_build_that_the_build_counts_as_an_error_keeps_the_lock_unwritten()
    {
        var part = Part();
        _engine.WarningsAsErrors.Add("MLG406"); // e.g. a bare -warnaserror, which MSBuild applies when it prints the warning

        Assert.True(Commit(part).Execute());

        Assert.False(File.Exists(_dir.Combine("mlguard.lock.json")));
        Assert.False(File.Exists(part));
        Assert.Equal(["MlBuildGuard: mlguard.lock.json was not written: the build counts the warnings MLG406 as errors."], Story());
    }

    [Theory]
    [InlineData("-warnaserror", true)]
    [InlineData("/warnaserror", true)]
    [InlineData("--warnaserror", true)]
    [InlineData("-err", true)]
    [InlineData("-warnAsError+", true)]
    [InlineData("-warnaserror:MLG406", false)]
    [InlineData("-warnasmessage", false)]
    [InlineData("-p:TreatWarningsAsErrors=true", false)]
    public void A_bare_warnaserror_on_the_command_line_promotes_every_warning(string argument, bool all)
    {
        Assert.Equal(all, CommandLine.PromotesAllWarnings(["dotnet", "build", argument]));
    }
}
