using System.Text;
using MlBuildGuard.Core.Secrets.Baseline;
using MlBuildGuard.Core.Secrets.Rules;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests.Secrets;

public sealed class SecretsBaselineTests
{
    private static readonly BaselineEntry[] Entries =
    [
        new("data/z.csv", "github-token", "00112233445566ff"),
        new("data/a b/é.csv", "jwt", "0123456789abcdef"),
        new("data/a b/é.csv", "aws-access-key-id", "fedcba9876543210"),
        new("data/z.csv", "github-token", "00112233445566ff"),
    ];

    [Fact]
    public void The_baseline_is_canonical_json_sorted_and_without_duplicates_and_reads_back()
    {
        var bytes = SecretsBaseline.ToBytes(Entries);
        var text = Encoding.UTF8.GetString(bytes);

        Assert.Equal("""
            {
              "version": 1,
              "findings": [
                {
                  "file": "data/a b/é.csv",
                  "rule": "aws-access-key-id",
                  "fingerprint": "fedcba9876543210"
                },
                {
                  "file": "data/a b/é.csv",
                  "rule": "jwt",
                  "fingerprint": "0123456789abcdef"
                },
                {
                  "file": "data/z.csv",
                  "rule": "github-token",
                  "fingerprint": "00112233445566ff"
                }
              ]
            }

            """.Replace("\r\n", "\n", StringComparison.Ordinal), text);
        var read = SecretsBaseline.Parse(bytes);
        Assert.Equal(3, read.Entries.Count);
        Assert.True(read.Accepts("data/z.csv", "github-token", "00112233445566ff"));
        Assert.False(read.Accepts("data/other.csv", "github-token", "00112233445566ff"));
        Assert.False(read.Accepts("data/z.csv", "jwt", "00112233445566ff"));
        Assert.Equal(bytes, SecretsBaseline.ToBytes(read.Entries));
    }

    [Fact]
    public void Writing_is_atomic_and_leaves_an_unchanged_file_alone_and_a_missing_file_is_empty()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("mlguard.secrets-baseline.json");

        Assert.Empty(SecretsBaseline.Read(path).Entries);
        Assert.True(SecretsBaseline.Write(path, Entries));
        Assert.False(SecretsBaseline.Write(path, Entries.Reverse()));
        Assert.Equal(3, SecretsBaseline.Read(path).Entries.Count);
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    [Theory]
    [InlineData("{\"version\": 1, \"findings\": [", 1)]
    [InlineData("{\n  \"version\": 1,\n  \"findings\": [\n    { \"file\": \"a.csv\", \"rule\": \"jwt\", \"fingerprint\": \"XYZ\" }\n  ]\n}\n", 4)]
    [InlineData("{\n  \"version\": 2,\n  \"findings\": []\n}\n", 2)]
    [InlineData("{\n  \"version\": 1,\n  \"findings\": [],\n  \"secrets\": []\n}\n", 4)]
    [InlineData("{\n  \"version\": 1,\n  \"findings\": [\n    { \"file\": \"/etc/a.csv\", \"rule\": \"jwt\", \"fingerprint\": \"0123456789abcdef\" }\n  ]\n}\n", 4)]
    [InlineData("{\n  \"version\": 1,\n  \"findings\": [\n    { \"file\": \"../a.csv\", \"rule\": \"jwt\", \"fingerprint\": \"0123456789abcdef\" }\n  ]\n}\n", 4)]
    [InlineData("{\n  \"version\": 1,\n  \"findings\": [\n    { \"file\": \"a.csv\", \"rule\": \"jwt\" }\n  ]\n}\n", 4)]
    [InlineData("{\n  \"version\": 1\n}\n", 1)]
    [InlineData("{\n  \"version\": 1,\n  \"findings\": [] // note\n}\n", 3)]
    [InlineData("{\n  \"version\": 1,\n  \"findings\": []\n}\n{}", 5)]
    [InlineData("[]", 1)]
    [InlineData("", 1)]
    public void A_malformed_baseline_is_a_configuration_error_at_its_line(string json, int line)
    {
        var e = Assert.Throws<SecretConfigurationException>(() => SecretsBaseline.Parse(Encoding.UTF8.GetBytes(json)));

        Assert.Equal(line, e.Line);
        Assert.True(e.Column >= 1);
    }
}
