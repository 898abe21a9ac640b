using System.Text;
using MlBuildGuard.Core.Secrets;
using MlBuildGuard.Testing.Secrets;

namespace MlBuildGuard.Core.Tests.Secrets;

/// <summary>
/// Hits of a rule's leading keywords (<see cref="SecretRule.LeadingKeywords"/>) in the middle of a token, or without the
/// bytes the pattern needs after them (<see cref="SecretRule.MayStartAt"/>), get no regex window of their own. That may
/// only save work: every test compares the built-in set with the same rules without those two properties, which run
/// the regex around every hit, and requires the same matches (rule, line, column, offset, fingerprint).
/// </summary>
public sealed class LeadingKeywordTests
{
    private static readonly SecretRuleSet Unfiltered = new(SecretRuleSet.BuiltIn.Rules.Select(WithoutAnchorChecks));

    /// <summary>The same rule without <see cref="SecretRule.LeadingKeywords"/> and <see cref="SecretRule.MayStartAt"/>.</summary>
    private static SecretRule WithoutAnchorChecks(SecretRule rule)
    {
        var context = rule.Context;
        return new SecretRule
        {
            Id = rule.Id,
            Description = rule.Description,
            Kind = rule.Kind,
            Pattern = rule.Pattern,
            ContextFactory = () => context!, // a null context is no context, as on the original
            SecretGroup = rule.SecretGroup,
            Entropy = rule.Entropy,
            Keywords = rule.Keywords,
            PathPattern = rule.PathPattern,
            Allowlists = rule.Allowlists,
            Before = rule.Before,
            After = rule.After,
            TokenCharacters = rule.TokenCharacters,
            ContextReach = rule.ContextReach,
            Validate = rule.Validate,
            ReportAtMatch = rule.ReportAtMatch,
            Normalize = rule.Normalize,
        };
    }

    private static IReadOnlyList<SecretMatch> Chunked(SecretRuleSet rules, byte[] data, int size)
    {
        var scanner = new SecretScanner(rules);
        for (var at = 0; at < data.Length; at += size)
        {
            scanner.Append(data.AsSpan(at, Math.Min(size, data.Length - at)));
        }

        return scanner.Complete();
    }

    /// <summary>Base64 lines with the leading keywords planted by chance, some right before real credentials.</summary>
    private static string NoisyText(int seed, FakeSecrets fakes, int lines)
    {
        var random = new Random(seed);
        var text = new StringBuilder();
        string[] anchors = ["A3T", "AKIA", "eyJ", "ASIA", "eyJhbGciOi"];
        for (var line = 0; line < lines; line++)
        {
            var bytes = new byte[random.Next(20, 90)];
            random.NextBytes(bytes);
            var blob = Convert.ToBase64String(bytes);
            var cut = random.Next(blob.Length);
            text.Append(blob[..cut]).Append(anchors[random.Next(anchors.Length)]).Append(blob[cut..]);
            if (random.Next(4) == 0)
            {
                // A credential after a separator or at the start of a line. (Not glued to the base64: whether the token
                // check then sees the bytes before a named key such as aws_secret_access_key depends on where its window
                // starts, which chance hits before it move; the last test covers credentials glued to base64.)
                var secret = fakes.Makers[random.Next(fakes.Makers.Count)].Make().Text;
                text.Append(random.Next(3) switch { 0 => " ", 1 => ",", _ => "\n" }).Append(secret);
            }

            text.Append(random.Next(3) == 0 ? "\r\n" : "\n");
        }

        return text.ToString();
    }

    [Fact]
    public void Chance_anchors_in_base64_and_real_credentials_give_the_same_matches_as_running_every_window()
    {
        for (var seed = 0; seed < 12; seed++)
        {
            var data = Encoding.ASCII.GetBytes(NoisyText(seed, new FakeSecrets(100 + seed), 400));
            var expected = SecretScanner.Scan(Unfiltered, data);
            Assert.NotEmpty(expected);
            Assert.Equal(expected, SecretScanner.Scan(SecretRuleSet.BuiltIn, data));
            foreach (var size in new[] { 1, 7, 64, 4096 })
            {
                // Against the unfiltered rules fed the same chunks: a private key's body, whose pattern has no end, can be
                // cut differently by tiny chunks, with or without the checks.
                Assert.Equal(Chunked(Unfiltered, data, size), Chunked(SecretRuleSet.BuiltIn, data, size));
            }
        }
    }

    [Fact]
    public void A_key_id_or_a_token_cut_by_a_chunk_edge_anywhere_is_found_as_before()
    {
        // The checks see only the bytes of the current chunk: cut short, they must let the hit through.
        var fakes = new FakeSecrets(31);
        foreach (var secret in new[] { fakes.AwsAccessKeyId(), fakes.Jwt(), fakes.AwsAccessKeyId() with { Text = fakes.AwsAccessKeyId().Secret + ",ab/" + new string('k', 37) } })
        {
            var data = Encoding.ASCII.GetBytes("id,value\n1,\"" + secret.Text + "\"\n2,QUJDRA==eyJ0eXAiOiJKV1QifQA3TA\n");
            var expected = SecretScanner.Scan(Unfiltered, data);
            Assert.Contains(expected, m => m.RuleId == secret.RuleId);
            for (var cut = 1; cut < data.Length; cut++)
            {
                var scanner = new SecretScanner(SecretRuleSet.BuiltIn);
                scanner.Append(data.AsSpan(0, cut));
                scanner.Append(data.AsSpan(cut));
                Assert.Equal(expected, scanner.Complete());
            }
        }
    }

    [Fact]
    public void A_token_that_follows_base64_characters_directly_is_not_reported_before_or_after()
    {
        // The token check rejects such a match (the middle of a longer token); skipping its window keeps that verdict.
        var fakes = new FakeSecrets(32);
        foreach (var secret in new[] { fakes.AwsAccessKeyId(), fakes.Jwt() })
        {
            var data = Encoding.ASCII.GetBytes("blob=QUJDRA" + secret.Secret + "\n");
            Assert.DoesNotContain(SecretScanner.Scan(Unfiltered, data), m => m.RuleId == secret.RuleId);
            Assert.DoesNotContain(SecretScanner.Scan(SecretRuleSet.BuiltIn, data), m => m.RuleId == secret.RuleId);

            var separated = Encoding.ASCII.GetBytes("blob=QUJDRA " + secret.Secret + "\n");
            Assert.Contains(SecretScanner.Scan(SecretRuleSet.BuiltIn, separated), m => m.RuleId == secret.RuleId && m.Column == 13);
        }
    }
}
