using System.Diagnostics;
using System.Text.Json;
using MlBuildGuard.Core.Provenance;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests.Provenance;

/// <summary>A build from a work tree with uncommitted changes is marked in the provenance.</summary>
public sealed class WorkingTreeTests
{
    private static void Git(string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])["-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "commit.gpgsign=false", .. arguments])
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        process.StandardOutput.ReadToEnd();
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"git {string.Join(' ', arguments)}: {errors}");
    }

    [Fact]
    public void Clean_after_a_commit_dirty_after_an_edit_or_a_new_file_unknown_outside_a_repository()
    {
        using var dir = new TempDirectory("mlguard-git");
        var outside = WorkingTree.IsDirty(dir.Path);
        var repo = dir.Combine("repo");
        Directory.CreateDirectory(repo);
        File.WriteAllText(Path.Combine(repo, "train.tsv"), "a\n");
        File.WriteAllText(Path.Combine(repo, ".gitignore"), "bin/\n");
        Git(repo, "init", "-q");
        Git(repo, "add", ".");
        Git(repo, "commit", "-q", "-m", "data");
        Directory.CreateDirectory(Path.Combine(repo, "bin"));
        File.WriteAllText(Path.Combine(repo, "bin", "model.zip"), "ignored output");

        var clean = WorkingTree.IsDirty(repo);
        File.WriteAllText(Path.Combine(repo, "train.tsv"), "b\n");
        var edited = WorkingTree.IsDirty(repo);
        Git(repo, "checkout", "--", "train.tsv");
        File.WriteAllText(Path.Combine(repo, "extra.tsv"), "new\n");
        var added = WorkingTree.IsDirty(repo);

        Assert.Null(outside);
        Assert.False(clean);
        Assert.True(edited);
        Assert.True(added);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_provenance_source_says_whether_the_tree_was_dirty(bool dirty)
    {
        var materials = SampleMaterials.Create() with { Source = new SourceRevision(null, SampleMaterials.Commit, null, dirty) };

        using var document = JsonDocument.Parse(ProvenanceStatement.Write(materials));

        var source = document.RootElement.GetProperty("predicate").GetProperty("buildDefinition").GetProperty("resolvedDependencies")[0];
        Assert.Equal(dirty, source.GetProperty("annotations").GetProperty("workingTreeDirty").GetBoolean());
    }
}
