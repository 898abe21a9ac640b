using System.Text.RegularExpressions;
using MlBuildGuard.Core.Configuration;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests;

public class CatalogTests
{
    [Fact]
    public void Codes_are_unique_well_formed_and_documented()
    {
        Assert.NotEmpty(RuleCatalog.All);
        foreach (var rule in RuleCatalog.All)
        {
            Assert.Matches("^MLG[0-9]{3}$", rule.Code);
            var page = RepositoryPaths.Combine("docs", "rules", rule.Code + ".md");
            Assert.True(File.Exists(page), $"{rule.Code} has no documentation page at {page}");
            Assert.StartsWith($"# {rule.Code}", File.ReadAllText(page), StringComparison.Ordinal);
            Assert.Equal(RuleCatalog.HelpBaseUri + rule.Code + ".md", rule.HelpUri);
        }
    }

    [Fact]
    public void Every_code_used_in_the_sources_is_in_the_catalog()
    {
        var used = Directory.EnumerateFiles(RepositoryPaths.Combine("src"), "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".cs", StringComparison.Ordinal) || f.EndsWith(".targets", StringComparison.Ordinal) || f.EndsWith(".props", StringComparison.Ordinal))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => Regex.Matches(File.ReadAllText(f), @"\bMLG[0-9]{3}\b").Select(m => m.Value))
            .ToHashSet();

        Assert.All(used, code => Assert.True(RuleCatalog.IsKnownCode(code), $"{code} is used but not in the catalog"));
    }

    [Fact]
    public void The_host_warning_in_the_targets_is_the_catalog_message()
    {
        // MLG001 is raised by MSBuild itself (no task can run on that host), so its text lives in the targets too.
        var targets = File.ReadAllText(RepositoryPaths.Combine("src", "MlBuildGuard.Tasks", "build", "MlBuildGuard.targets"));
        var expected = RuleCatalog.HostNotSupported.FormatMessage("$(MSBuildVersion)");

        Assert.Contains($"Code=\"MLG001\"", targets, StringComparison.Ordinal);
        Assert.Contains($"Text=\"{expected}\"", targets, StringComparison.Ordinal);
        Assert.Contains($"HelpLink=\"{RuleCatalog.HostNotSupported.HelpUri}\"", targets, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, null, null, LockMode.Auto)]
    [InlineData("", "false", "true", LockMode.Locked)]
    [InlineData("auto", "", "true", LockMode.Auto)]
    [InlineData("Locked", "false", "", LockMode.Locked)]
    [InlineData("Auto", "true", "", LockMode.Update)]
    [InlineData("update", null, null, LockMode.Update)]
    public void Lock_mode_follows_the_properties(string? mode, string? update, string? ci, LockMode expected)
    {
        Assert.Equal(expected, LockModeParser.Resolve(mode, update, ci, out var errors));
        Assert.Empty(errors);
    }

    [Theory]
    [InlineData("Strict", null, null, "MlGuardLockMode is 'Strict'")]
    [InlineData("1", null, null, "MlGuardLockMode is '1'")]
    [InlineData(null, "yes", null, "MlGuardUpdateLock is 'yes'")]
    [InlineData(null, null, "on", "ContinuousIntegrationBuild is 'on'")]
    public void A_mode_that_is_not_understood_is_an_error_and_fails_closed(string? mode, string? update, string? ci, string message)
    {
        var resolved = LockModeParser.Resolve(mode, update, ci, out var errors);

        Assert.Contains(message, Assert.Single(errors), StringComparison.Ordinal);
        if (mode is not null)
        {
            Assert.Equal(LockMode.Locked, resolved);
        }
    }

    [Fact]
    public void Every_unreadable_value_is_reported_at_once()
    {
        var resolved = LockModeParser.Resolve("Sometimes", "yes", "on", out var errors);

        Assert.Equal(3, errors.Count);
        Assert.Equal(LockMode.Locked, resolved);
    }

    [Fact]
    public void Declarations_are_found_with_lines_and_match_msbuild_globs()
    {
        using var dir = new TempDirectory();
        var project = dir.Write("p.csproj", "<Project>\n  <ItemGroup>\n    <MlTrainingInput Include=\"data/**/*.csv; $(MSBuildThisFileDirectory)x/?.tsv\" Source=\"s\" />\n    <MlTrainingInput Include=\"$(DataRoot)/a.csv\" />\n  </ItemGroup>\n</Project>");

        var found = ItemDeclarations.Find([project, dir.Combine("missing.props")], "MlTrainingInput");

        Assert.Equal(["data/**/*.csv", "$(MSBuildThisFileDirectory)x/?.tsv", "$(DataRoot)/a.csv"], found.Select(d => d.Pattern));
        Assert.All(found.Take(2), d => Assert.Equal(new SourceLocation(project, 3, 6), d.Location));
        Assert.True(found[0].Matches(dir.Combine("data/a.csv"), dir.Path));
        Assert.True(found[0].Matches(dir.Combine("data/deep/er/a.csv"), dir.Path));
        Assert.False(found[0].Matches(dir.Combine("data/a.tsv"), dir.Path));
        Assert.False(found[0].Matches(dir.Combine("other/data/a.csv"), dir.Path));
        Assert.True(found[1].Matches(dir.Combine("x/1.tsv"), dir.Path));
        Assert.False(found[1].Matches(dir.Combine("x/12.tsv"), dir.Path));
        Assert.True(found[2].NeedsEvaluation(found[2].Expand(dir.Path)));
        Assert.False(found[2].Matches(dir.Combine("a.csv"), dir.Path));
    }
}
