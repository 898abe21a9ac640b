using System.Text;
using MlBuildGuard.Core.Bom;
using MlBuildGuard.Core.Provenance;
using MlBuildGuard.Core.Secrets;
using MlBuildGuard.Core.Tests.Provenance;
using MlBuildGuard.Testing;
using MlBuildGuard.Testing.Secrets;

namespace MlBuildGuard.Core.Tests.Secrets;

/// <summary>The build's own documents (provenance, ML-BOM, SARIF) are never written when they would carry a credential.</summary>
public sealed class PublishedDocumentGuardTests
{
    /// <summary>A training input whose Source carries a token in its path, which removing user info and query does not catch.</summary>
    private static (BuildMaterials Materials, FakeSecret Token) LeakingMaterials()
    {
        var token = new FakeSecrets(41).HuggingFaceToken();
        var materials = SampleMaterials.Create() with
        {
            TrainingInputs = [new TrainingInputMaterial("data/train.tsv", SampleMaterials.Sha256("train"), 10, $"https://example.org/{token.Secret}/train.tsv")],
        };
        return (materials, token);
    }

    [Fact]
    public void A_bom_carrying_a_token_is_not_written_and_the_finding_names_file_and_rule_never_the_value()
    {
        using var temp = new TempDirectory("mlguard-published");
        var path = temp.Combine("mlguard.cdx.json");
        File.WriteAllText(path, "stale");
        var (materials, token) = LeakingMaterials();

        var findings = PublishedDocumentGuard.WriteIfClean(path, MlBom.Write(materials), SecretRuleSet.BuiltIn);

        var finding = Assert.Single(findings);
        Assert.Equal("MLG801", finding.Code);
        Assert.Equal(path, finding.Location!.FilePath);
        Assert.True(finding.Location.Line > 0);
        Assert.Contains(path, finding.Message, StringComparison.Ordinal);
        Assert.Contains(token.RuleId, finding.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(token.Secret, finding.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path)); // neither a leaking file nor a stale one is left
    }

    [Fact]
    public void A_provenance_statement_carrying_a_token_is_caught()
    {
        var (materials, token) = LeakingMaterials();

        var findings = PublishedDocumentGuard.Check(ProvenanceStatement.Write(materials), "/out/mlguard.provenance.json", SecretRuleSet.BuiltIn);

        var finding = Assert.Single(findings);
        Assert.Contains(token.RuleId, finding.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(token.Secret, finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Clean_documents_are_written_and_quiet()
    {
        using var temp = new TempDirectory("mlguard-published");
        var path = temp.Combine("mlguard.cdx.json");
        var bom = MlBom.Write(SampleMaterials.Create());

        Assert.Empty(PublishedDocumentGuard.WriteIfClean(path, bom, SecretRuleSet.BuiltIn));
        Assert.Empty(PublishedDocumentGuard.Check(ProvenanceStatement.Write(SampleMaterials.Create()), "p.json", SecretRuleSet.BuiltIn));
        Assert.Equal(bom, File.ReadAllBytes(path));
    }

    [Fact]
    public void A_sarif_log_is_checked_the_same_way()
    {
        using var temp = new TempDirectory("mlguard-published");
        var path = temp.Combine("build.sarif");
        var token = new FakeSecrets(43).GitHubToken();
        var sarif = Encoding.UTF8.GetBytes($"{{\"runs\":[{{\"results\":[{{\"message\":{{\"text\":\"{token.Text}\"}}}}]}}]}}\n");

        var findings = PublishedDocumentGuard.WriteIfClean(path, sarif, SecretRuleSet.BuiltIn);

        Assert.Equal("MLG801", Assert.Single(findings).Code);
        Assert.False(File.Exists(path));
    }
}
