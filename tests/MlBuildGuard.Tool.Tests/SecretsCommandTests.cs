using System.IO.Compression;
using System.Text;
using System.Text.Json;
using MlBuildGuard.Testing;
using MlBuildGuard.Testing.Secrets;

namespace MlBuildGuard.Tool.Tests;

/// <summary><c>mlguard secrets</c>: MLG801 and MLG606 in files, folders and archives; the baseline; MLG803; formats; exit codes.</summary>
public sealed class SecretsCommandTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly FakeSecrets _fakes = new(1414);

    public void Dispose() => _dir.Dispose();

    private string Baseline => _dir.Combine("mlguard.secrets-baseline.json");

    private (int ExitCode, string Stdout, string Stderr) Run(params string[] args) => Cli.Run(["secrets", .. args, "--baseline", Baseline]);

    private string Write(string name, string text) => _dir.Write(name, text);

    [Fact]
    public void A_token_in_a_csv_row_is_MLG801_at_its_line_and_column_with_a_fingerprint_and_never_the_value()
    {
        var token = _fakes.GitHubToken();
        var csv = Write("data/train.csv", $"id,text\n1,hello\n2,\"key {token.Secret} here\"\n");

        var (code, stdout, stderr) = Run(csv);

        Assert.Equal(1, code);
        Assert.StartsWith($"{csv}(3,8): error MLG801: '{csv}' holds a GitHub token", stdout, StringComparison.Ordinal);
        Assert.Contains("(rule github-token, fingerprint ", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(token.Secret, stdout + stderr, StringComparison.Ordinal);
        Assert.Contains("1 error(s)", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Personal_data_in_a_table_column_is_MLG802_as_in_the_build_and_never_shows_the_values()
    {
        var csv = Write("data/users.csv", "id,contact,label\n1,ada@example.org,1\n2,grace@example.net,0\n3,alan@example.com,1\n");
        var jsonl = Write("data/notes.jsonl", "{\"id\": 1, \"note\": \"fine\"}\n{\"id\": 2, \"note\": \"ok\"}\n");

        var (code, stdout, stderr) = Run(csv, jsonl);

        Assert.Equal(1, code);
        var line = Assert.Single(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("error MLG802: ", line, StringComparison.Ordinal);
        Assert.Contains("column 'contact'", line, StringComparison.Ordinal);
        Assert.DoesNotContain("ada@example.org", stdout + stderr, StringComparison.Ordinal);
        Assert.Contains("2 file(s), 1 error(s)", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_table_that_cannot_be_parsed_is_still_scanned_for_credentials()
    {
        var token = _fakes.GitHubToken();
        var csv = Write("data/broken.csv", $"id,text\n1,\"unterminated {token.Secret}\n");

        var (code, stdout, stderr) = Run(csv);

        Assert.Equal(1, code);
        Assert.Contains("error MLG801: ", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("MLG802", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(token.Secret, stdout + stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Clean_folders_and_binary_noise_exit_0()
    {
        Write("clean/a.csv", "id,label\n1,0\n2,1\n");
        File.WriteAllBytes(_dir.Combine("clean", "weights.bin"), _fakes.Noise(2 << 20));
        Write("clean/deep/er/notes.txt", string.Join("\n", _fakes.Benign(300)));

        var (code, stdout, stderr) = Run(_dir.Combine("clean"));

        Assert.Equal(0, code);
        Assert.Equal("", stdout);
        Assert.Contains("3 file(s), 0 error(s)", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Members_of_a_zip_are_scanned_decompressed_and_named_by_their_view()
    {
        var slack = _fakes.SlackToken();
        var zip = _dir.Combine("model.pt");
        using (var archive = ZipFile.Open(zip, ZipArchiveMode.Create))
        {
            using var s = new StreamWriter(archive.CreateEntry("model/config.json", CompressionLevel.Optimal).Open());
            s.Write("{\"note\": \"" + slack.Secret + "\", \"pad\": \"" + new string('a', 5000) + "\"}");
        }

        var (code, stdout, _) = Run(zip);

        Assert.Equal(1, code);
        Assert.StartsWith($"{zip}: error MLG801: '{zip}' holds a Slack token", stdout, StringComparison.Ordinal);
        Assert.Contains("at model.pt!model/config.json, line 1, column 11", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pickle_string_constant_and_a_private_key_are_found_and_the_key_is_MLG606()
    {
        var hf = _fakes.HuggingFaceToken();
        var value = Encoding.UTF8.GetBytes(hf.Secret);
        byte[] pickle = [0x80, 0x02, (byte)'}', (byte)'X', 5, 0, 0, 0, .. "token"u8, (byte)'X', (byte)value.Length, 0, 0, 0, .. value, (byte)'s', (byte)'.'];
        Directory.CreateDirectory(_dir.Combine("m"));
        File.WriteAllBytes(_dir.Combine("m", "model.pkl"), pickle);
        var key = Write("m/keys/id.pem", _fakes.PrivateKey().Text);

        var (code, stdout, _) = Run(_dir.Combine("m"));

        Assert.Equal(1, code);
        Assert.Contains("error MLG801: ", stdout, StringComparison.Ordinal);
        Assert.Contains("a Hugging Face access token", stdout, StringComparison.Ordinal);
        Assert.Contains($"{key}(1,1): error MLG606: '{key}' holds private key material (a PRIVATE KEY block at line 1, column 1, fingerprint ", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Update_baseline_accepts_current_findings_by_fingerprint_and_new_ones_still_fail()
    {
        var first = _fakes.StripeLiveKey();
        var csv = Write("data/a.csv", "k\n" + first.Text + "\n");

        var (updated, _, updateErr) = Run(csv, "--update-baseline");
        var (again, stdout, stderr) = Run(csv);
        File.AppendAllText(csv, _fakes.AwsAccessKeyId().Text + "\n");
        var (withNew, newOut, _) = Run(csv);

        Assert.Equal(0, updated);
        Assert.Contains("wrote", updateErr, StringComparison.Ordinal);
        var baseline = File.ReadAllText(Baseline);
        Assert.DoesNotContain(first.Secret, baseline, StringComparison.Ordinal);
        Assert.Contains("\"file\": \"data/a.csv\"", baseline, StringComparison.Ordinal);
        Assert.Contains("\"rule\": \"stripe-live-key\"", baseline, StringComparison.Ordinal);
        Assert.Equal((0, ""), (again, stdout));
        Assert.Contains("1 accepted by the baseline", stderr, StringComparison.Ordinal);
        Assert.Equal(1, withNew);
        Assert.Contains("aws-access-key-id", newOut, StringComparison.Ordinal);
        Assert.DoesNotContain("stripe-live-key", newOut, StringComparison.Ordinal);
    }

    [Fact]
    public void A_malformed_baseline_is_MLG803_at_its_line_accepts_nothing_and_is_not_rewritten()
    {
        var csv = Write("a.csv", _fakes.GitLabToken().Text);
        File.WriteAllText(Baseline, "{\n  \"version\": 1,\n  \"findings\": [ oops ]\n}\n");

        var (code, stdout, stderr) = Run(csv, "--update-baseline");

        Assert.Equal(1, code);
        Assert.Contains($"{Baseline}(3,17): error MLG803: '{Baseline}' cannot be used as a secrets baseline: it is not valid JSON", stdout, StringComparison.Ordinal);
        Assert.Contains("error MLG801", stdout, StringComparison.Ordinal);
        Assert.Contains("was not rewritten", stderr, StringComparison.Ordinal);
        Assert.Contains("oops", File.ReadAllText(Baseline), StringComparison.Ordinal);
    }

    [Fact]
    public void User_rules_add_findings_and_a_malformed_rule_file_is_MLG803_while_built_in_rules_still_run()
    {
        var rules = Write("rules.toml", "[[rules]]\nid = \"acme\"\ndescription = \"an ACME key\"\nregex = '''acme_[0-9]{8}'''\nkeywords = [\"acme_\"]\n");
        var broken = Write("broken.toml", "[[rules]]\nid = \"x\"\nregex = '''(?<=a)b'''\n");
        var data = Write("d.txt", "x acme_12345678 y\n" + _fakes.Jwt().Text + "\n");

        var (code, stdout, _) = Run(data, "--rules", rules);
        var (brokenCode, brokenOut, _) = Run(data, "--rules", broken);

        Assert.Equal(1, code);
        Assert.Contains($"{data}(1,3): error MLG801: '{data}' holds an ACME key at line 1, column 3 (rule acme, ", stdout, StringComparison.Ordinal);
        Assert.Equal(1, brokenCode);
        Assert.Contains($"{broken}(3,9): error MLG803: '{broken}' cannot be used as a secret rule file: the regex of rule 'x' cannot be used", brokenOut, StringComparison.Ordinal);
        Assert.Contains("rule jwt", brokenOut, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_and_sarif_reports_hold_places_and_fingerprints_but_no_secret()
    {
        var aws = _fakes.AwsSecretAccessKey();
        var file = Write("cfg/app.ini", "[default]\n" + aws.Text + "\n");
        var sarif = _dir.Combine("out", "secrets.sarif");

        var (jsonCode, json, _) = Run(file, "--format", "json");
        var (sarifCode, sarifOut, _) = Run(file, "--format", "sarif", "--output", sarif);

        Assert.Equal((1, 1), (jsonCode, sarifCode));
        using var doc = JsonDocument.Parse(json);
        var finding = Assert.Single(doc.RootElement.GetProperty("files").EnumerateArray().SelectMany(f => f.GetProperty("findings").EnumerateArray()));
        Assert.Equal(("MLG801", 2, 25), (finding.GetProperty("code").GetString(), finding.GetProperty("line").GetInt32(), finding.GetProperty("column").GetInt32()));
        Assert.Equal("", sarifOut);
        var log = File.ReadAllText(sarif);
        using var sarifDoc = JsonDocument.Parse(log);
        Assert.Equal("MLG801", sarifDoc.RootElement.GetProperty("runs")[0].GetProperty("results")[0].GetProperty("ruleId").GetString());
        Assert.DoesNotContain(aws.Secret, json + log, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_path_or_a_bad_option_is_exit_2()
    {
        Assert.Equal(2, Run(_dir.Combine("nope.csv")).ExitCode);
        Assert.Equal(2, Cli.Run("secrets", _dir.Path, "--format", "xml").ExitCode);
    }
}
