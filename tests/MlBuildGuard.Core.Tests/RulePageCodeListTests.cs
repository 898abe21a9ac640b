using System.Text.RegularExpressions;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests;

/// <summary>
/// The lists of codes on the rule pages come from <see cref="RuleCatalog"/>: a list between <c>&lt;!-- codes:KIND --&gt;</c>
/// and <c>&lt;!-- /codes --&gt;</c> must read exactly as rendered here, and the rule index has a row per code with its title.
/// </summary>
public class RulePageCodeListTests
{
    private static readonly Regex Marked = new(@"<!-- codes:(?<kind>[a-z]+) -->(?<list>.*?)<!-- /codes -->", RegexOptions.Singleline);

    public static string Render(string kind) => Ranges(kind switch
    {
        "all" => RuleCatalog.All,
        "unsuppressible" => RuleCatalog.All.Where(r => !r.Suppressible),
        _ => throw new ArgumentException($"unknown code list '{kind}'", nameof(kind)),
    });

    /// <summary>Consecutive codes as ranges: MLG001–MLG005, MLG101–MLG109 and MLG803.</summary>
    public static string Ranges(IEnumerable<Rule> rules)
    {
        var numbers = rules.Select(r => int.Parse(r.Code[3..], System.Globalization.CultureInfo.InvariantCulture)).Order().ToList();
        var parts = new List<string>();
        for (var i = 0; i < numbers.Count;)
        {
            var j = i;
            while (j + 1 < numbers.Count && numbers[j + 1] == numbers[j] + 1)
            {
                j++;
            }

            parts.Add(j == i ? $"MLG{numbers[i]:000}" : $"MLG{numbers[i]:000}–MLG{numbers[j]:000}");
            i = j + 1;
        }

        return parts.Count == 1 ? parts[0] : string.Join(", ", parts[..^1]) + " and " + parts[^1];
    }

    [Fact]
    public void Ranges_join_consecutive_codes() =>
        Assert.Equal("MLG001–MLG003 and MLG005", Ranges(new[] { "MLG001", "MLG002", "MLG003", "MLG005" }
            .Select(c => RuleCatalog.Find(c)!)));

    [Fact]
    public void Every_marked_code_list_on_the_rule_pages_is_the_catalogs()
    {
        var lists = 0;
        foreach (var page in Directory.EnumerateFiles(RepositoryPaths.Combine("docs", "rules"), "*.md"))
        {
            foreach (Match m in Marked.Matches(File.ReadAllText(page)))
            {
                lists++;
                var expected = Render(m.Groups["kind"].Value);
                Assert.True(expected == m.Groups["list"].Value,
                    $"{Path.GetFileName(page)}: the '{m.Groups["kind"].Value}' code list should read: {expected}");
            }
        }

        Assert.True(lists >= 3, "the rule pages lost their marked code lists");
    }

    [Fact]
    public void The_rule_index_has_a_row_per_code_with_its_title()
    {
        var index = File.ReadAllText(RepositoryPaths.Combine("docs", "rules", "README.md"));
        foreach (var rule in RuleCatalog.All)
        {
            Assert.Matches(new Regex($@"^\| \[{rule.Code}\]\({rule.Code}\.md\) \| [^|]+ \| {Regex.Escape(rule.Title)} \|$", RegexOptions.Multiline), index);
        }
    }
}
