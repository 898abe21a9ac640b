using System.Text.RegularExpressions;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Tool.Tests;

/// <summary>
/// docs/reference.md lists every item, metadata, property and command that exists, and nothing else; the README and the
/// docs link only to files inside the repository (and to the web), never outside it.
/// </summary>
public class ReferenceDocTests
{
    /// <summary>Properties of the targets that are no user's business: set for tests and source builds only.</summary>
    private static readonly string[] Internal = [];

    private static string Reference => File.ReadAllText(RepositoryPaths.Combine("docs", "reference.md"));

    private static string BuildFiles => string.Concat(
        Directory.EnumerateFiles(RepositoryPaths.Combine("src", "MlBuildGuard.Tasks"), "*.*", SearchOption.AllDirectories)
            .Where(f => (f.EndsWith(".targets", StringComparison.Ordinal) || f.EndsWith(".props", StringComparison.Ordinal))
                && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(File.ReadAllText));

    /// <summary>The rows of the reference's table whose first cell names <paramref name="name"/>.</summary>
    private static string Row(string name) =>
        Regex.Match(Reference, $@"^\| `{Regex.Escape(name)}[` ][^\n]*$", RegexOptions.Multiline).Value;

    [Fact]
    public void Every_property_and_item_of_the_targets_is_in_the_reference_and_nothing_more()
    {
        var properties = Regex.Matches(BuildFiles, @"\$\((MlGuard[A-Za-z]+)\)|<(MlGuard[A-Za-z]+) Condition=").Select(m => m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value);
        var items = Regex.Matches(BuildFiles, @"@\((Ml[A-Za-z]+)\)").Select(m => m.Groups[1].Value);
        var inTargets = properties.Concat(items).Except(Internal).ToHashSet(StringComparer.Ordinal);
        Assert.NotEmpty(inTargets);

        foreach (var name in inTargets)
        {
            Assert.True(Row(name).Length > 0, $"docs/reference.md has no row for {name}");
        }

        var documented = Regex.Matches(Reference, @"^\| `(Ml[A-Za-z]+)`", RegexOptions.Multiline).Select(m => m.Groups[1].Value);
        Assert.All(documented, name => Assert.True(inTargets.Contains(name), $"docs/reference.md documents {name}, which the targets do not read"));
    }

    [Theory]
    [InlineData("MlTrainingInput", "Source")]
    [InlineData("MlModel", "TrustedKey")]
    [InlineData("MlModel", "RequireSignature")]
    [InlineData("MlModelOutput", "Sign")]
    [InlineData("MlModelOutput", "Normalize")]
    [InlineData("MlDeniedPackage", "Versions")]
    [InlineData("MlDeniedPackage", "Reason")]
    [InlineData("MlGuardSuppression", "Subject")]
    [InlineData("MlGuardSuppression", "Justification")]
    [InlineData("MlGuardSuppression", "Expires")]
    public void The_metadata_the_tasks_read_is_in_its_items_row(string item, string metadata)
    {
        var tasks = string.Concat(Directory.EnumerateFiles(RepositoryPaths.Combine("src", "MlBuildGuard.Tasks"), "*.cs").Select(File.ReadAllText))
            + BuildFiles;
        Assert.Contains($"\"{metadata}\"", tasks.Replace($"%({item}.{metadata})", $"\"{metadata}\""), StringComparison.Ordinal);
        Assert.Contains($"`{metadata}`", Row(item), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_command_and_option_of_mlguard_is_in_the_reference()
    {
        var root = Program.CreateRoot(TextWriter.Null, TextWriter.Null);
        Assert.NotEmpty(root.Subcommands);
        foreach (var command in root.Subcommands)
        {
            var row = Row($"mlguard {command.Name}");
            Assert.True(row.Length > 0, $"docs/reference.md has no row for mlguard {command.Name}");
            foreach (var option in command.Options.Where(o => o.Name is not "--help" and not "-h" and not "-?"))
            {
                Assert.True(row.Contains($"`{option.Name}", StringComparison.Ordinal) || row.Contains($", {option.Name}", StringComparison.Ordinal),
                    $"docs/reference.md's row for mlguard {command.Name} lacks {option.Name}");
            }
        }
    }

    [Fact]
    public void The_readme_and_the_docs_link_only_inside_the_repository()
    {
        var root = Path.GetFullPath(RepositoryPaths.Root);
        var pages = new[] { RepositoryPaths.Combine("README.md") }
            .Concat(Directory.EnumerateFiles(RepositoryPaths.Combine("docs"), "*.md", SearchOption.AllDirectories));
        var links = 0;
        foreach (var page in pages)
        {
            foreach (Match m in Regex.Matches(File.ReadAllText(page), @"\]\(([^)\s]+)\)"))
            {
                var target = m.Groups[1].Value;
                if (target.StartsWith('#') || Regex.IsMatch(target, "^[a-z]+:", RegexOptions.IgnoreCase))
                {
                    continue; // an anchor, or a web or mail address
                }

                links++;
                var path = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(page)!, Uri.UnescapeDataString(target.Split('#')[0])));
                var name = Path.GetRelativePath(root, page);
                Assert.True(path.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal) || path == root,
                    $"{name} links to '{target}', outside the repository");
                Assert.True(File.Exists(path) || Directory.Exists(path), $"{name} links to '{target}', which does not exist");
            }
        }

        Assert.True(links > 50, "the link check found almost no links: the pattern is broken");
    }
}
