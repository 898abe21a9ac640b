using System.Globalization;
using System.Text;
using MlBuildGuard.EndToEnd.Tests.Infrastructure;
using MlBuildGuard.Testing.Secrets;

namespace MlBuildGuard.EndToEnd.Tests;

/// <summary>
/// What the training data holds, through a real `dotnet build`: the Table Schema rules (MLG701–MLG704), drift against the
/// locked profile (MLG703), credentials (MLG801), personal data (MLG802) and the secret configuration (MLG803).
/// </summary>
[Collection(PackagesCollection.Name)]
public sealed class TrainingDataBuildTests(PackagesFixture packages)
{
    private const string Schema = """
        {
          "fields": [
            { "name": "label", "type": "integer", "constraints": { "required": true, "enum": [0, 1] } },
            { "name": "score", "type": "number", "constraints": { "minimum": 0, "maximum": 100 } }
          ],
          "mlguard": { "minRows": 4 }
        }
        """;

    private static string Rows(int count, Func<int, double> score)
    {
        var text = new StringBuilder("label\tscore\n");
        for (var i = 0; i < count; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"{i % 2}\t{score(i):0.##}\n");
        }

        return text.ToString();
    }

    private TestProject NewProject(string body, string properties = "")
    {
        var project = new TestProject(packages).WithProject(body, properties: properties);
        project.Write("data/schema.json", Schema);
        return project;
    }

    [Fact]
    public void Valid_data_with_a_schema_is_quiet_and_its_profile_is_locked_with_the_digests()
    {
        var p = NewProject("""<ItemGroup><MlTrainingInput Include="data/train.tsv" Schema="data/schema.json" /></ItemGroup>""");
        p.Write("data/train.tsv", Rows(40, i => i));

        var result = p.Build();

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Empty(result.Diagnostics);
        Assert.Contains("data profiles: 1 profiled", result.Output, StringComparison.Ordinal);
        var locked = Core.Locking.LockFileReader.Read(p.LockFile);
        Assert.Contains("data/train.tsv", locked.TrainingInputs.Keys);
        Assert.Equal(40, locked.DataProfiles["data/train.tsv"].Rows);
    }

    [Fact]
    public void Schema_violations_are_MLG701_table_expectations_MLG702_and_a_malformed_schema_MLG704_and_no_lock_is_written()
    {
        var p = NewProject("""
            <ItemGroup>
              <MlTrainingInput Include="data/train.tsv" Schema="data/schema.json" />
              <MlTrainingInput Include="data/other.tsv" Schema="data/broken.json" />
            </ItemGroup>
            """);
        p.Write("data/train.tsv", "label\tscore\n1\t5\n2\t500\n");
        p.Write("data/other.tsv", "a\n1\n");
        p.Write("data/broken.json", "{\n  \"fields\": [ { \"name\": \"a\", \"type\": \"integr\" } ]\n}\n");

        var result = p.Build();

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(["MLG701", "MLG701", "MLG702", "MLG704"], result.Codes("error"));
        var enumBreak = result.Diagnostics.Single(d => d.Code == "MLG701" && d.Message.Contains("field 'label'", StringComparison.Ordinal));
        Assert.Equal((Path.Combine(p.Directory, "data", "train.tsv"), 3), (enumBreak.File, enumBreak.Line));
        Assert.Equal(Path.Combine(p.Directory, "data", "broken.json"), result.Diagnostics.Single(d => d.Code == "MLG704").File);
        Assert.False(File.Exists(p.LockFile));
    }

    [Fact]
    public void Drift_against_the_locked_profile_is_MLG703_a_warning_in_an_update_and_an_error_with_MaxDrift()
    {
        var p = NewProject("""<ItemGroup><MlTrainingInput Include="data/train.tsv" Schema="data/schema.json" MaxDrift="$(TestMaxDrift)" /></ItemGroup>""");
        p.Write("data/train.tsv", Rows(60, i => i % 20));
        Assert.Equal(0, p.Build().ExitCode);
        p.Write("data/train.tsv", Rows(60, i => 80 + (i % 20)));

        var update = p.Build("--no-restore", "-p:MlGuardUpdateLock=true");

        Assert.True(update.ExitCode == 0, update.ToString());
        var drift = Assert.Single(update.Diagnostics);
        Assert.Equal(("warning", "MLG703"), (drift.Kind, drift.Code));
        Assert.Contains("column 'score'", drift.Message, StringComparison.Ordinal);
        Assert.Contains("  ~ data/train.tsv: ", update.Output, StringComparison.Ordinal);

        p.Write("data/train.tsv", Rows(60, i => i % 20));
        var strict = p.Build("--no-restore", "-p:MlGuardUpdateLock=true", "-p:TestMaxDrift=psi=0.2");

        Assert.Equal(1, strict.ExitCode);
        Assert.Equal(["MLG703"], strict.Codes("error"));
    }

    [Fact]
    public void Credentials_and_personal_data_in_training_data_are_MLG801_and_MLG802_never_shown_and_a_bad_rule_file_is_MLG803()
    {
        var token = new FakeSecrets(2024).GitHubToken();
        var p = NewProject("""<ItemGroup><MlTrainingInput Include="data/*.csv" /></ItemGroup>""", "<MlGuardSecretRules>rules.toml</MlGuardSecretRules>");
        p.Write("rules.toml", "[[rules]]\nid = \"x\"\nregex = '''(?<=a)b'''\n");
        p.Write("data/notes.csv", $"id,text\n1,hello\n2,\"key {token.Secret} here\"\n");
        // The float column (seven digits, one '.') is no phone number: one MLG802, for 'contact' alone.
        p.Write("data/users.csv", "id,contact,weight\n1,ada@example.org,0.0565081\n2,grace@example.net,0.9817783\n3,alan@example.com,12.345678\n");

        var result = p.Build();

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(["MLG801", "MLG802", "MLG803"], result.Codes("error"));
        var credential = result.Diagnostics.Single(d => d.Code == "MLG801");
        Assert.Equal((Path.Combine(p.Directory, "data", "notes.csv"), 3, 8), (credential.File, credential.Line, credential.Column));
        Assert.Contains("column 'contact'", result.Diagnostics.Single(d => d.Code == "MLG802").Message, StringComparison.Ordinal);
        Assert.DoesNotContain(token.Secret, result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("ada@example.org", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(token.Secret, File.ReadAllText(p.Sarif), StringComparison.Ordinal);
        Assert.False(File.Exists(p.LockFile));
    }

    [Fact]
    public void Pii_allow_makes_MLG802_a_warning_and_an_update_accepts_a_reviewed_credential_in_the_baseline()
    {
        var token = new FakeSecrets(2025).GitLabToken();
        var p = NewProject("""<ItemGroup><MlTrainingInput Include="data/*.csv" Pii="allow" /></ItemGroup>""");
        p.Write("data/users.csv", $"id,contact,note\n1,ada@example.org,x\n2,grace@example.net,\"{token.Text}\"\n");

        var update = p.Build("-p:MlGuardUpdateLock=true");

        Assert.True(update.ExitCode == 0, update.ToString());
        Assert.Equal(["MLG802"], update.Codes("warning"));
        Assert.Contains("mlguard.secrets-baseline.json: 1 finding(s) in the training inputs accepted", update.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(token.Secret, File.ReadAllText(Path.Combine(p.Directory, "mlguard.secrets-baseline.json")), StringComparison.Ordinal);

        var again = p.Build("--no-restore");

        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal(["MLG802"], again.Codes("warning"));
        Assert.Empty(again.Codes("error"));
    }
}
