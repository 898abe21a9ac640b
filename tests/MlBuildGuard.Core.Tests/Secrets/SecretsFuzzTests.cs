using System.Text;
using MlBuildGuard.Core.Secrets;
using MlBuildGuard.Core.Secrets.Baseline;
using MlBuildGuard.Core.Secrets.Rules;
using MlBuildGuard.Testing;
using MlBuildGuard.Testing.Secrets;

namespace MlBuildGuard.Core.Tests.Secrets;

/// <summary>
/// Robustness of the secret parsers and the detector: thousands of random and mutated inputs (fixed seeds, so failures
/// reproduce). A rule file or baseline either reads or is a <see cref="SecretConfigurationException"/> (MLG803) with a
/// position; the detector never throws, and finds the same matches however its input is cut into chunks.
/// </summary>
public sealed class SecretsFuzzTests
{
    private const int Inputs = 1500;

    private const string SampleRules = """
        title = "fuzz"
        [extend]
        useDefault = true
        [[rules]]
        id = "acme"
        description = "ACME"
        regex = '''(?i)acme[_-]key\s*=\s*(?P<k>[a-z0-9]{16})'''
        secretGroup = 1
        entropy = 2.5
        keywords = ["acme_key", "acme-key"]
        path = '''\.csv$'''
        tags = ["t"]
          [[rules.allowlists]]
          regexes = ['''^0+$''']
          regexTarget = "match"
          stopwords = ["example"]
          condition = "AND"
          paths = ['''fixtures/''']
        [allowlist]
        paths = ['''vendor/''']
        targetRules = ["acme"]
        """;

    [Fact]
    public void The_toml_rule_reader_accepts_or_reports_every_mutation_with_a_position()
    {
        var random = new Random(1401);
        var sample = Encoding.UTF8.GetBytes(SampleRules);
        var read = 0;
        for (var i = 0; i < Inputs; i++)
        {
            var text = Encoding.UTF8.GetString(InputMutator.Mutate(random, sample));
            try
            {
                var rules = GitleaksRuleReader.Parse(text);
                _ = SecretRuleSet.WithUserRules(rules);
                read++;
            }
            catch (SecretConfigurationException e)
            {
                Assert.False(string.IsNullOrWhiteSpace(e.Reason));
                Assert.True(e.Line >= 0 && e.Column >= 0);
            }
        }

        Assert.InRange(read, 1, Inputs - 1); // both paths were exercised
    }

    [Fact]
    public void The_baseline_reader_accepts_or_reports_every_mutation_with_a_position()
    {
        var random = new Random(1402);
        var sample = SecretsBaseline.ToBytes(
        [
            new BaselineEntry("data/a.csv", "github-token", "0123456789abcdef"),
            new BaselineEntry("models/m.pt", "jwt", "fedcba9876543210"),
        ]);
        for (var i = 0; i < Inputs; i++)
        {
            var input = InputMutator.Mutate(random, sample, "{"u8.ToArray());
            try
            {
                var baseline = SecretsBaseline.Parse(input);
                Assert.All(baseline.Entries, e => Assert.True(SecretsBaseline.IsRelativePath(e.File)));
            }
            catch (SecretConfigurationException e)
            {
                Assert.True(e.Line >= 1 && e.Column >= 1, e.Reason);
            }
        }
    }

    [Fact]
    public void The_detector_survives_mutations_and_finds_the_same_whatever_the_chunking()
    {
        var random = new Random(1403);
        var fakes = new FakeSecrets(1403);
        var sample = Encoding.UTF8.GetBytes(string.Join("\n", fakes.Makers.Select(m => m.Make().Text)) + "\n" + string.Join(",", fakes.Benign(30)));
        for (var i = 0; i < 300; i++)
        {
            var input = InputMutator.Mutate(random, sample);
            var whole = SecretScanner.Scan(SecretRuleSet.BuiltIn, input);
            var scanner = new SecretScanner(SecretRuleSet.BuiltIn);
            for (var at = 0; at < input.Length;)
            {
                var n = Math.Min(input.Length - at, 1 + random.Next(700));
                scanner.Append(input.AsSpan(at, n));
                at += n;
            }

            Assert.Equal(whole, scanner.Complete());
            Assert.All(whole, m => Assert.True(m.Line >= 1 && m.Column >= 1 && m.Offset < input.Length));
        }
    }
}
