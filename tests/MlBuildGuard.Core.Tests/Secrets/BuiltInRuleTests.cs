using System.Text;
using MlBuildGuard.Core.Secrets;
using MlBuildGuard.Testing.Secrets;

namespace MlBuildGuard.Core.Tests.Secrets;

/// <summary>Every built-in rule finds its format (in a CSV row, a JSON value, a config line) and stays quiet on near misses.</summary>
public sealed class BuiltInRuleTests
{
    public static TheoryData<string> RuleIds => new(new FakeSecrets(1).Makers.Select(m => m.RuleId));

    private static FakeSecret Make(string ruleId, int seed = 7) => new FakeSecrets(seed).Makers.Single(m => m.RuleId == ruleId).Make();

    private static IReadOnlyList<SecretMatch> Scan(string text) => SecretScanner.Scan(SecretRuleSet.BuiltIn, Encoding.UTF8.GetBytes(text));

    [Fact]
    public void Every_built_in_rule_has_a_fake_and_the_ids_are_the_documented_ones()
    {
        Assert.Equal(BuiltInSecretRules.All.Select(r => r.Id).Order(), new FakeSecrets(1).Makers.Select(m => m.RuleId).Order());
        var doc = File.ReadAllText(MlBuildGuard.Testing.RepositoryPaths.Combine("docs", "secrets.md"));
        Assert.All(BuiltInSecretRules.All, r => Assert.Contains($"`{r.Id}`", doc, StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void A_fake_of_each_format_is_found_in_a_csv_row_with_its_fingerprint_and_place(string ruleId)
    {
        for (var seed = 0; seed < 20; seed++)
        {
            var fake = Make(ruleId, seed);
            var csv = "id,text,label\n1,\"nothing here\",0\n2,\"" + fake.Text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\",1\n";
            var matches = Scan(csv);

            var match = Assert.Single(matches, m => m.RuleId == ruleId);
            Assert.Equal(SecretMath.Fingerprint(ruleId, fake.Secret), match.Fingerprint);
            Assert.Equal(16, match.Fingerprint.Length);
            var offset = Encoding.UTF8.GetByteCount(csv[..csv.IndexOf(fake.Text.Replace("\"", "\"\"", StringComparison.Ordinal), StringComparison.Ordinal)]);
            Assert.True(match.Offset >= offset, $"{ruleId}: offset {match.Offset} before the planted text at {offset}");
            Assert.True(match.Line >= 3, $"{ruleId}: line {match.Line}");
            Assert.DoesNotContain(fake.Secret, match.ToString(), StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void A_fake_is_found_as_a_json_value_and_inside_a_long_line(string ruleId)
    {
        var fake = Make(ruleId, 3);
        var json = System.Text.Json.JsonSerializer.Serialize(new { name = "config", value = fake.Text, other = new string('z', 70_000) },
            new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

        Assert.Contains(Scan(json), m => m.RuleId == ruleId);
    }

    [Fact]
    public void Line_and_column_are_1_based_bytes_of_the_secret()
    {
        var fake = Make("github-token");
        var text = "first line\nsecond: é " + fake.Secret + "\n";

        var match = Assert.Single(Scan(text));

        Assert.Equal(2, match.Line);
        Assert.Equal("second: é ".Length + 2, match.Column); // 'é' is two bytes
    }

    public static TheoryData<string, string> NearMisses()
    {
        var f = new FakeSecrets(11);
        string Rand(string alphabet, int n) => f.Random(alphabet, n);
        const string B62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        return new TheoryData<string, string>
        {
            { "aws-access-key-id", "AK" + "IA" + Rand("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 15) + " short" },
            { "aws-access-key-id", "AK" + "IA" + "IOSFODNN7" + "EXAMPLE" },
            { "aws-access-key-id", "wxyzAK" + "IA" + Rand("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16) },
            { "aws-secret-access-key", "aws_secret_access_key = " + new string('A', 40) },
            { "aws-secret-access-key", "aws_secret_access_key = " + Rand(B62, 39) + " " },
            { "azure-storage-account-key", "AccountKey=" + Rand(B62, 80) + "==" },
            { "azure-sas-token", "https://x.blob.core.windows.net/c?sig=" + Uri.EscapeDataString(Convert.ToBase64String(new byte[32].Select((_, i) => (byte)(i * 37)).ToArray())) },
            { "azure-sas-token", "https://x/c?sv=2022-11-02&se=2030&sig=" + Rand(B62, 50) },
            { "gcp-service-account-key", "{\"private_key_id\": \"" + Rand("0123456789abcdef", 40) + "\", \"client_email\": \"x@y\"}" },
            { "github-token", "gh" + "p_" + Rand(B62, 35) + " " },
            { "github-token", "abcd" + "gh" + "p_" + Rand(B62, 36) },
            { "github-token", "gh" + "p_" + Rand(B62, 40) + " " },
            { "github-token", "gh" + "x_" + Rand(B62, 36) },
            { "gitlab-token", "gl" + "pat-" + Rand(B62, 19) + " " },
            { "slack-token", "xo" + "xb-not-a-token" },
            { "stripe-live-key", "sk" + "_test_" + Rand(B62, 24) },
            { "stripe-live-key", "sk" + "_live_" + Rand(B62, 10) + " " },
            { "openai-api-key", "sk-" + Rand(B62, 48) },
            { "anthropic-api-key", "sk-" + "ant-api03-" + Rand(B62, 50) },
            { "huggingface-token", "hf" + "_" + Rand("abcdefghijklmnopqrstuvwxyz", 33) + " " },
            { "huggingface-token", "hf" + "_" + Rand("abcdefghijklmnopqrstuvwxyz0123456789", 20) + "1" + Rand("abcdefghijklmnopqrstuvwxyz", 13) },
            { "jwt", "eyJ" + Rand(B62, 20) + ".eyJ" + Rand(B62, 20) + "." + Rand(B62, 30) },
            { "connection-string-password", "Server=db;User Id=svc;Password=${DB_PASSWORD};" },
            { "connection-string-password", "Server=db;User Id=svc;Password=********;" },
            { "connection-string-password", "please set password=" + Rand(B62, 12) + " in the settings page" },
            { "url-password", "https://svc:${PASS}@db.example.org/" },
            { "url-password", "https://example.org/a:b@c" },
            { "url-password", "postgres://user:password@localhost/db" },
            { "private-key", "-----BEGIN " + "PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n" },
            { "private-key", "-----BEGIN \nPRIVATE " + "KEY-----\n" },
        };
    }

    [Theory]
    [MemberData(nameof(NearMisses))]
    public void Near_misses_of_each_format_are_quiet(string ruleId, string text)
    {
        Assert.DoesNotContain(Scan("x," + text + ",y\n"), m => m.RuleId == ruleId);
    }

    [Fact]
    public void Benign_high_entropy_values_and_binary_noise_raise_nothing()
    {
        var fakes = new FakeSecrets(5);
        var csv = string.Join("\n", fakes.Benign(6_000).Select((v, i) => $"{i},{v},label"));
        Assert.Empty(Scan(csv));

        var noise = fakes.Noise(8 << 20);
        Assert.Empty(SecretScanner.Scan(SecretRuleSet.BuiltIn, noise));
    }

    [Fact]
    public void A_private_key_is_MLG606_kind_and_keys_differ_in_fingerprint()
    {
        var a = Make("private-key", 1);
        var b = Make("private-key", 2);

        var first = Assert.Single(Scan(a.Text));
        var second = Assert.Single(Scan(b.Text));

        Assert.Equal(SecretKind.PrivateKey, first.Kind);
        Assert.NotEqual(first.Fingerprint, second.Fingerprint);
        Assert.Equal(SecretKind.Credential, Assert.Single(Scan(Make("github-token").Text)).Kind);
    }

    [Fact]
    public void The_same_secret_twice_is_two_matches_with_one_fingerprint()
    {
        var fake = Make("slack-token");

        var matches = Scan(fake.Text + "\n" + fake.Text + "\n");

        Assert.Equal(2, matches.Count);
        Assert.Equal(matches[0].Fingerprint, matches[1].Fingerprint);
        Assert.Equal([1, 2], matches.Select(m => m.Line));
    }
}
