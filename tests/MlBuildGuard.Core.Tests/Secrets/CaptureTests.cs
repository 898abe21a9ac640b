using System.Text;
using System.Text.RegularExpressions;
using MlBuildGuard.Core.Secrets;
using MlBuildGuard.Core.Secrets.Engine;
using MlBuildGuard.Testing.Secrets;

namespace MlBuildGuard.Core.Tests.Secrets;

/// <summary>
/// The groups of a match are read by the backtracking interpreter on the match's characters (<see cref="SecretRule.CapturePattern"/>)
/// after the non-backtracking pattern found it; where the two could differ, the pattern's own groups are used.
/// </summary>
public sealed class CaptureTests
{
    [Fact]
    public void The_interpreter_reads_the_same_groups_as_the_non_backtracking_pattern_for_every_built_in_format()
    {
        var checkedMatches = 0;
        foreach (var seed in Enumerable.Range(0, 25))
        {
            foreach (var (ruleId, make) in new FakeSecrets(seed).Makers)
            {
                var rule = BuiltInSecretRules.All.Single(r => r.Id == ruleId);
                var text = "1,\"" + make().Text + "\",0\n";
                foreach (Match expected in rule.Pattern!.Matches(text))
                {
                    var read = rule.CapturePattern.Match(text, expected.Index, expected.Length);
                    Assert.True(read.Success, ruleId);
                    Assert.Equal((expected.Index, expected.Length), (read.Index, read.Length));
                    Assert.Equal(expected.Groups.Count, read.Groups.Count);
                    for (var g = 0; g < expected.Groups.Count; g++)
                    {
                        Assert.Equal((expected.Groups[g].Success, expected.Groups[g].Index, expected.Groups[g].Value),
                            (read.Groups[g].Success, read.Groups[g].Index, read.Groups[g].Value));
                    }

                    checkedMatches++;
                }
            }
        }

        Assert.True(checkedMatches >= 25 * new FakeSecrets(0).Makers.Count, $"{checkedMatches} matches compared");
    }

    [Fact]
    public void A_match_whose_edge_needs_the_characters_around_it_takes_its_groups_from_the_pattern()
    {
        // \B before "xyz_" holds only with a word character before it, which the match's own characters do not show:
        // the interpreter finds no match there, so the scanner asks the pattern, and the secret is still found and
        // fingerprinted from its group.
        var rule = new SecretRule
        {
            Id = "inner-token",
            Description = "a token glued to a word",
            Pattern = new Regex(@"\Bxyz_([a-z]{8})", RegexOptions.NonBacktracking),
            Keywords = [new Keyword("xyz_", IgnoreCase: false)],
            Before = 4,
            After = 16,
        };
        Assert.False(rule.CapturePattern.Match("axyz_abcdefgh", 1, 12).Success);

        var match = Assert.Single(SecretScanner.Scan(new SecretRuleSet([rule]), Encoding.ASCII.GetBytes("id,axyz_abcdefgh,1\n")));
        Assert.Equal(SecretMath.Fingerprint("inner-token", "abcdefgh"), match.Fingerprint);
        Assert.Equal((1, 9), (match.Line, match.Column)); // reported at its group
    }

    [Fact]
    public void Many_findings_in_one_file_are_each_found_once_with_their_own_fingerprint()
    {
        var fakes = new FakeSecrets(3);
        var rows = Enumerable.Range(0, 200).Select(_ => fakes.Makers.Single(m => m.RuleId == "url-password").Make()).ToArray();
        var text = string.Join("\n", rows.Select((f, i) => $"{i},{f.Text},x"));

        var matches = SecretScanner.Scan(SecretRuleSet.BuiltIn, Encoding.ASCII.GetBytes(text));

        Assert.Equal(rows.Select(f => SecretMath.Fingerprint("url-password", f.Secret)), matches.Select(m => m.Fingerprint));
        Assert.Equal(Enumerable.Range(1, 200), matches.Select(m => m.Line));
    }
}
