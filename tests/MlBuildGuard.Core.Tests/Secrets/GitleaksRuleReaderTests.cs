using System.Text;
using MlBuildGuard.Core.Secrets;
using MlBuildGuard.Core.Secrets.Rules;
using MlBuildGuard.Testing.Secrets;

namespace MlBuildGuard.Core.Tests.Secrets;

/// <summary>User rules in gitleaks' TOML format: what they find, what their allowlists accept, and MLG803 for what cannot be used.</summary>
public sealed class GitleaksRuleReaderTests
{
    private const string Rules = """
        title = "team rules"

        [extend]
        useDefault = true

        [[rules]]
        id = "acme-api-key"
        description = "an ACME API key"
        regex = '''(?i)acme[_-]?key\s*[:=]\s*["']?(?P<key>acme_[a-z0-9]{24})'''
        secretGroup = 1
        entropy = 3.0
        keywords = ["acme_key", "acme-key", "acmekey"]
        tags = ["internal"]

          [[rules.allowlists]]
          stopwords = ["acme_000000"]

        [[rules]]
        id = "posix-token"
        regex = '''tok_[[:alnum:]]{12}\b'''
        keywords = ["tok_"]
        path = '''\.csv$'''

        [[rules]]
        id = "private-notes"
        path = '''(^|/)secrets\.txt$'''

        [allowlist]
        description = "fixtures"
        paths = ['''(^|/)fixtures/''']
        """;

    private static IReadOnlyList<SecretMatch> Scan(UserSecretRules user, string text, string? path = null) =>
        SecretScanner.Scan(SecretRuleSet.WithUserRules(user), Encoding.UTF8.GetBytes(text), path);

    [Fact]
    public void A_user_rule_finds_its_secret_with_the_secret_group_and_its_allowlist_accepts_stopwords()
    {
        var user = GitleaksRuleReader.Parse(Rules);

        var found = Assert.Single(Scan(user, "x\nACME_KEY = \"acme_q8w7e6r5t4y3u2i1o9p8a7s6\"\n", "data/a.txt"));
        var allowed = Scan(user, "acme-key: acme_000000q8w7e6r5t4y3u2i1o9", "data/a.txt");

        Assert.Equal("acme-api-key", found.RuleId);
        Assert.Equal(SecretMath.Fingerprint("acme-api-key", "acme_q8w7e6r5t4y3u2i1o9p8a7s6"), found.Fingerprint);
        Assert.Equal((2, 13), (found.Line, found.Column));
        Assert.Equal("an ACME API key", found.Description);
        Assert.Empty(allowed);
    }

    [Fact]
    public void Posix_classes_and_path_conditions_and_path_only_rules_work_and_global_path_allowlists_silence_a_file()
    {
        var user = GitleaksRuleReader.Parse(Rules);
        const string Token = "tok_Ab3dE6gH9jK1";

        Assert.Equal("posix-token", Assert.Single(Scan(user, Token, "data/train.csv")).RuleId);
        Assert.Empty(Scan(user, Token, "data/train.json"));
        Assert.Empty(Scan(user, Token, "fixtures/train.csv"));
        var file = Assert.Single(Scan(user, "anything", "config/secrets.txt"));
        Assert.Equal(("private-notes", 0), (file.RuleId, file.Line));
    }

    [Fact]
    public void A_rule_allowlist_with_paths_silences_only_that_rule_in_only_those_files()
    {
        // The set's only path condition is one rule's own allowlist: scanners must still look at each file's path.
        var user = GitleaksRuleReader.Parse("""
            [[rules]]
            id = "zqx-token"
            regex = '''ZQX-[0-9]{6}-QZX'''
            keywords = ["zqx-"]

              [[rules.allowlists]]
              paths = ['''(^|/)samples/''']
            """);
        var github = new FakeSecrets(3).Makers.Single(m => m.RuleId == "github-token").Make().Text;
        const string Text = "x ZQX-123456-QZX\n";

        Assert.Equal("zqx-token", Assert.Single(Scan(user, Text, "data/train.csv")).RuleId);
        Assert.Empty(Scan(user, Text, "samples/train.csv"));
        Assert.Equal("zqx-token", Assert.Single(Scan(user, Text)).RuleId);
        Assert.Equal("github-token", Assert.Single(Scan(user, github + "\n" + Text, "samples/train.csv")).RuleId);
    }

    [Fact]
    public void A_rule_without_keywords_runs_everywhere_and_finds_matches_across_chunks()
    {
        var user = GitleaksRuleReader.Parse("[[rules]]\nid = \"nokw\"\nregex = '''ZQX-[0-9]{6}-QZX'''\n");
        var data = Encoding.ASCII.GetBytes(new string('a', 5000) + " ZQX-123456-QZX " + new string('b', 5000));
        var scanner = new SecretScanner(SecretRuleSet.WithUserRules(user));
        scanner.Append(data.AsSpan(0, 5005));
        scanner.Append(data.AsSpan(5005));

        Assert.Equal("nokw", Assert.Single(scanner.Complete()).RuleId);
    }

    [Theory]
    [InlineData("[[rules]\nid = \"x\"\n", 1)]
    [InlineData("[[rules]]\nid = \"x\"\nregex = \"a\"\nkeywords = \"notalist\"\n", 4)]
    [InlineData("[[rules]]\nid = \"x\"\nregex = '''(?=lookahead)abc'''\n", 3)]
    [InlineData("[[rules]]\nid = \"x\"\nregex = '''a(b'''\n", 3)]
    [InlineData("[[rules]]\nid = \"x\"\nregex = '''\\Qa.b\\E'''\n", 3)]
    [InlineData("[[rules]]\nid = \"x\"\nregex = '''(?U)a+'''\n", 3)]
    [InlineData("[[rules]]\nid = \"x\"\nregex = '''[[:nope:]]'''\n", 3)]
    [InlineData("[[rules]]\nid = \"github-token\"\nregex = \"a\"\n", 1)]
    [InlineData("[[rules]]\nid = \"x\"\nregex = \"a\"\n[[rules]]\nid = \"x\"\nregex = \"b\"\n", 4)]
    [InlineData("[[rules]]\nid = \"x\"\nregex = \"a\"\nverify = true\n", 4)]
    [InlineData("[[rules]]\nid = \"x\"\n", 1)]
    [InlineData("[[rules]]\nregex = \"a\"\n", 1)]
    [InlineData("[[rules]]\nid = \"x\"\nregex = \"a\"\nentropy = \"high\"\n", 4)]
    [InlineData("[[rules]]\nid = \"x\"\nregex = \"a\"\nkeywords = [\"é\"]\n", 4)]
    [InlineData("[[rules.allowlists]]\nregexes = ['''a''']\n", 1)]
    [InlineData("[[rules]]\nid = \"x\"\nregex = \"a\"\n[[rules.allowlists]]\ncommits = [\"abc\"]\n", 5)]
    [InlineData("[[rules]]\nid = \"x\"\nregex = \"a\"\n[[rules.allowlists]]\ndescription = \"empty\"\n", 4)]
    [InlineData("[[rules]]\nid = \"x\"\nregex = \"a\"\n[[rules.allowlists]]\nregexTarget = \"file\"\nregexes = ['''a''']\n", 5)]
    [InlineData("[extend]\npath = \"other.toml\"\n", 2)]
    [InlineData("[other]\nx = 1\n", 1)]
    [InlineData("unknown = 1\n", 1)]
    [InlineData("[[rules]]\nid = \"x\"\nallowlist.regexes = ['''a''']\nregex = \"a\"\n", 3)]
    public void An_unusable_rule_file_is_a_configuration_error_at_its_line(string toml, int line)
    {
        var e = Assert.Throws<SecretConfigurationException>(() => GitleaksRuleReader.Parse(toml));

        Assert.Equal(line, e.Line);
        Assert.True(e.Column >= 1);
        Assert.False(string.IsNullOrWhiteSpace(e.Reason));
    }

    [Fact]
    public void A_regex_error_names_the_rule()
    {
        var e = Assert.Throws<SecretConfigurationException>(() => GitleaksRuleReader.Parse("[[rules]]\nid = \"lookbehind-rule\"\nregex = '''(?<=x)y'''\n"));

        Assert.Contains("lookbehind-rule", e.Reason, StringComparison.Ordinal);
        Assert.Equal((3, 9), (e.Line, e.Column));
    }

    [Fact]
    public void A_missing_or_unreadable_file_is_a_configuration_error()
    {
        Assert.Throws<SecretConfigurationException>(() => GitleaksRuleReader.Read("/nonexistent/dir/rules.toml"));
    }
}
