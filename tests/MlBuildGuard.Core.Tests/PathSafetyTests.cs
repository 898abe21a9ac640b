using MlBuildGuard.Core.IO;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests;

public class PathSafetyTests
{
    [Fact]
    public void Files_in_the_project_are_inside_and_others_are_not()
    {
        using var dir = new TempDirectory();
        var project = dir.Combine("proj");
        Directory.CreateDirectory(project);
        dir.Write("proj/data/a.csv", "a");
        dir.Write("outside.csv", "o");
        dir.Write("proj-sibling/b.csv", "b");
        var safety = new PathSafety(project);

        Assert.Equal(Containment.Inside, safety.Check(Path.Combine(project, "data/a.csv")));
        Assert.Equal(Containment.Inside, safety.Check(Path.Combine(project, "data/../data/a.csv")));
        Assert.Equal(Containment.OutsideRoot, safety.Check(Path.Combine(project, "../outside.csv")));
        Assert.Equal(Containment.OutsideRoot, safety.Check(dir.Combine("proj-sibling/b.csv"))); // a shared prefix is not containment
        Assert.Equal(Containment.OutsideRoot, safety.Check(project));
    }

    [Fact]
    public void A_link_that_leaves_the_project_is_caught_for_files_and_folders()
    {
        using var dir = new TempDirectory();
        var project = dir.Combine("proj");
        dir.Write("proj/data/real.csv", "r");
        var secret = dir.Write("secret/s.csv", "s");
        File.CreateSymbolicLink(Path.Combine(project, "data/link.csv"), secret);
        Directory.CreateSymbolicLink(Path.Combine(project, "linkdir"), dir.Combine("secret"));
        File.CreateSymbolicLink(Path.Combine(project, "data/inner.csv"), "real.csv");
        File.CreateSymbolicLink(Path.Combine(project, "data/relative-out.csv"), "../../secret/s.csv");
        var safety = new PathSafety(project);

        Assert.Equal(Containment.LinkLeavesRoot, safety.Check(Path.Combine(project, "data/link.csv")));
        Assert.Equal(Containment.LinkLeavesRoot, safety.Check(Path.Combine(project, "linkdir/s.csv")));
        Assert.Equal(Containment.LinkLeavesRoot, safety.Check(Path.Combine(project, "data/relative-out.csv")));
        Assert.Equal(Containment.Inside, safety.Check(Path.Combine(project, "data/inner.csv")));
    }

    [Fact]
    public void A_project_reached_through_a_link_still_contains_its_files()
    {
        using var dir = new TempDirectory();
        dir.Write("real/data/a.csv", "a");
        Directory.CreateSymbolicLink(dir.Combine("alias"), dir.Combine("real"));

        var safety = new PathSafety(dir.Combine("alias"));

        Assert.Equal(Containment.Inside, safety.Check(dir.Combine("alias/data/a.csv")));
    }

    [Fact]
    public void A_link_loop_is_not_inside()
    {
        using var dir = new TempDirectory();
        var project = dir.Combine("proj");
        Directory.CreateDirectory(project);
        File.CreateSymbolicLink(Path.Combine(project, "a"), "b");
        File.CreateSymbolicLink(Path.Combine(project, "b"), "a");

        Assert.NotEqual(Containment.Inside, new PathSafety(project).Check(Path.Combine(project, "a")));
    }

    [Theory]
    [InlineData("/p/proj", "data/a.csv")]
    [InlineData("/p/proj", "a")]
    [InlineData("/p/proj", "data/sub/")]
    [InlineData("/p/proj", "./data/a.csv")]
    [InlineData("/p/proj", "../other/a.csv")]
    [InlineData("/p/proj", "data/../a.csv")]
    [InlineData("/p/proj", "data/./a.csv")]
    [InlineData("/p/proj", "data//a.csv")]
    [InlineData("/p/proj", "data/.")]
    [InlineData("/p/proj", "data/..")]
    [InlineData("/p/proj", ".")]
    [InlineData("/p/proj", "..")]
    [InlineData("/p/proj", ".hidden/a")]
    [InlineData("/p/proj", "..a/b")]
    [InlineData("/p/proj", "a..")]
    [InlineData("/p/proj", "/abs/a.csv")]
    [InlineData("/p/proj", "with space/%41.csv")]
    [InlineData("/p/proj", "back\\slash.csv")]
    [InlineData("/p/proj/", "data/a.csv")]
    [InlineData("/p//proj", "data/a.csv")]
    [InlineData("/p/./proj", "data/a.csv")]
    [InlineData("/p/proj/..", "data/a.csv")]
    [InlineData("/", "data/a.csv")]
    public void The_quick_full_path_is_exactly_the_platforms(string folder, string path)
    {
        Assert.Equal(Path.GetFullPath(path, folder), PathSafety.FullPath(path, folder));
    }
}
