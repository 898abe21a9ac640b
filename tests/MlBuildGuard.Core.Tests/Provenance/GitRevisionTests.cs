using MlBuildGuard.Core.Provenance;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests.Provenance;

/// <summary>
/// <see cref="GitRevision"/> against real repositories made by the installed <c>git</c> in temp folders, compared with
/// what <c>git rev-parse</c> says.
/// </summary>
public sealed class GitRevisionTests
{
    /// <summary>No user or system configuration, a fixed identity: the repositories are the same on every machine.</summary>
    private static readonly Dictionary<string, string> GitEnvironment = new()
    {
        ["GIT_CONFIG_GLOBAL"] = "/dev/null",
        ["GIT_CONFIG_NOSYSTEM"] = "1",
        ["GIT_AUTHOR_NAME"] = "Test",
        ["GIT_AUTHOR_EMAIL"] = "test@example.test",
        ["GIT_COMMITTER_NAME"] = "Test",
        ["GIT_COMMITTER_EMAIL"] = "test@example.test",
    };

    private static string Git(string directory, params string[] arguments)
    {
        var (exitCode, output) = ExternalTool.Run("git", ["-C", directory, .. arguments], directory, GitEnvironment);
        Assert.True(exitCode == 0, $"git {string.Join(' ', arguments)} failed: {output}");
        return output.Trim();
    }

    /// <summary>A repository on branch <c>main</c> with one commit; returns its folder.</summary>
    private static string NewRepository(TempDirectory temp, string name = "repo", string objectFormat = "sha1")
    {
        var repo = temp.Combine(name);
        Directory.CreateDirectory(repo);
        Git(repo, "init", "-q", "-b", "main", "--object-format=" + objectFormat);
        File.WriteAllText(Path.Combine(repo, "README.md"), "hello\n");
        Git(repo, "add", "README.md");
        Git(repo, "commit", "-q", "-m", "first");
        return repo;
    }

    [Fact]
    public void Reads_the_branch_commit_and_origin_of_an_ordinary_repository()
    {
        using var temp = new TempDirectory("mlguard-git");
        var repo = NewRepository(temp);
        Git(repo, "remote", "add", "origin", "https://github.com/example/churn-model.git");
        Directory.CreateDirectory(Path.Combine(repo, "src", "App"));

        var revision = GitRevision.Find(Path.Combine(repo, "src", "App"));

        Assert.NotNull(revision);
        Assert.Equal(Git(repo, "rev-parse", "HEAD"), revision.Commit);
        Assert.Equal("refs/heads/main", revision.Ref);
        Assert.Equal("https://github.com/example/churn-model.git", revision.RepositoryUri);
    }

    [Theory]
    [InlineData("https://alice:ghp_s3cret@github.com/example/repo.git", "https://github.com/example/repo.git")]
    [InlineData("https://x-access-token:s3cret@github.com/example/repo.git?token=s3cret#frag", "https://github.com/example/repo.git")]
    [InlineData("git@github.com:example/repo.git", "ssh://github.com/example/repo.git")]
    [InlineData("ssh://git@github.com/example/repo.git", "ssh://github.com/example/repo.git")]
    [InlineData("/srv/git/repo.git", null)]
    [InlineData("file:///srv/git/repo.git", null)]
    [InlineData("../repo.git", null)]
    public void The_origin_url_is_published_without_credentials_or_local_paths(string url, string? expected)
    {
        using var temp = new TempDirectory("mlguard-git");
        var repo = NewRepository(temp);
        Git(repo, "remote", "add", "origin", url);
        Git(repo, "remote", "add", "upstream", "https://github.com/other/repo.git");

        var revision = GitRevision.Find(repo);

        Assert.NotNull(revision);
        Assert.Equal(expected, revision.RepositoryUri);
    }

    [Fact]
    public void Resolves_a_branch_that_only_packed_refs_holds()
    {
        using var temp = new TempDirectory("mlguard-git");
        var repo = NewRepository(temp);
        Git(repo, "pack-refs", "--all");
        Assert.False(File.Exists(Path.Combine(repo, ".git", "refs", "heads", "main")));

        var revision = GitRevision.Find(repo);

        Assert.Equal(Git(repo, "rev-parse", "HEAD"), revision?.Commit);
        Assert.Equal("refs/heads/main", revision?.Ref);
    }

    [Fact]
    public void A_detached_head_has_a_commit_and_no_ref()
    {
        using var temp = new TempDirectory("mlguard-git");
        var repo = NewRepository(temp);
        var first = Git(repo, "rev-parse", "HEAD");
        File.WriteAllText(Path.Combine(repo, "README.md"), "changed\n");
        Git(repo, "commit", "-q", "-am", "second");
        Git(repo, "checkout", "-q", "--detach", first);

        var revision = GitRevision.Find(repo);

        Assert.Equal(first, revision?.Commit);
        Assert.NotNull(revision);
        Assert.Null(revision.Ref);
    }

    [Fact]
    public void A_linked_worktree_reads_its_own_head_and_the_shared_refs_and_config()
    {
        using var temp = new TempDirectory("mlguard-git");
        var repo = NewRepository(temp);
        Git(repo, "remote", "add", "origin", "https://github.com/example/churn-model.git");
        var worktree = temp.Combine("wt");
        Git(repo, "worktree", "add", "-q", "-b", "feature", worktree);
        File.WriteAllText(Path.Combine(worktree, "feature.txt"), "f\n");
        Git(worktree, "add", "feature.txt");
        Git(worktree, "commit", "-q", "-m", "feature");
        Assert.True(File.Exists(Path.Combine(worktree, ".git"))); // a file pointing into repo/.git/worktrees

        var revision = GitRevision.Find(worktree);

        Assert.NotNull(revision);
        Assert.Equal(Git(worktree, "rev-parse", "HEAD"), revision.Commit);
        Assert.NotEqual(Git(repo, "rev-parse", "HEAD"), revision.Commit);
        Assert.Equal("refs/heads/feature", revision.Ref);
        Assert.Equal("https://github.com/example/churn-model.git", revision.RepositoryUri);
        Assert.Equal(Git(repo, "rev-parse", "HEAD"), GitRevision.Find(repo)?.Commit);
    }

    [Fact]
    public void A_sha256_repository_gives_a_64_digit_commit()
    {
        using var temp = new TempDirectory("mlguard-git");
        var repo = NewRepository(temp, objectFormat: "sha256");

        var revision = GitRevision.Find(repo);

        Assert.Equal(64, revision?.Commit.Length);
        Assert.Equal(Git(repo, "rev-parse", "HEAD"), revision?.Commit);
    }

    [Fact]
    public void An_unborn_branch_is_null()
    {
        using var temp = new TempDirectory("mlguard-git");
        var repo = temp.Combine("repo");
        Directory.CreateDirectory(repo);
        Git(repo, "init", "-q", "-b", "main");

        Assert.Null(GitRevision.Find(repo));
    }

    [Fact]
    public void A_folder_outside_any_repository_is_null()
    {
        using var temp = new TempDirectory("mlguard-git"); // the system temp folder is not inside a repository
        Assert.Null(GitRevision.Find(temp.Path));
    }

    [Fact]
    public void Oversized_or_damaged_metadata_is_null()
    {
        using var temp = new TempDirectory("mlguard-git");
        temp.Write("big/.git/HEAD", new string('a', 40) + new string('\n', 1024 * 1024));
        temp.Write("escape/.git/HEAD", "ref: ../../../../etc/passwd\n");
        temp.Write("garbage/.git/HEAD", "not a hash\n");
        temp.Write("dangling/.git", "gitdir: ../nowhere\n");

        Assert.Null(GitRevision.Find(temp.Combine("big")));
        Assert.Null(GitRevision.Find(temp.Combine("escape")));
        Assert.Null(GitRevision.Find(temp.Combine("garbage")));
        Assert.Null(GitRevision.Find(temp.Combine("dangling")));
    }
}
