using MlBuildGuard.Core.Secrets;
using MlBuildGuard.Core.Secrets.Files;
using MlBuildGuard.Testing;
using MlBuildGuard.Testing.Secrets;

namespace MlBuildGuard.Core.Tests.Secrets;

/// <summary>
/// The benchmark's corpus (build/bench/secrets-benchmark.sh), checked for correctness only: every planted fake
/// credential, in CSV rows, JSON configs, ONNX metadata, pickle strings and zip members, is found by the rule it was
/// made for, and no benign file raises anything.
/// </summary>
public sealed class SecretCorpusTests
{
    [Fact]
    public void Every_planted_credential_is_found_by_its_rule_and_no_benign_file_raises_anything()
    {
        using var dir = new TempDirectory("mlguard-secret-corpus");
        var onnx = File.ReadAllBytes(RepositoryPaths.Combine("tests", "corpus", "real", "files", "onnx_matmul_add.onnx"));
        var manifest = SecretCorpus.Generate(dir.Path, onnx, copies: 1);

        var missed = new List<string>();
        foreach (var planted in manifest.Planted)
        {
            var result = SecretFileScanner.Scan(dir.Combine(planted.File), SecretRuleSet.BuiltIn);
            if (!result.Matches.Any(m => m.RuleId == planted.RuleId))
            {
                missed.Add($"{planted.File}: found {string.Join(", ", result.Matches.Select(m => m.RuleId))}");
            }

            Assert.Empty(result.Problems);
        }

        var alarms = manifest.BenignFiles
            .SelectMany(f => SecretFileScanner.Scan(dir.Combine(f), SecretRuleSet.BuiltIn).Matches.Select(m => $"{f}: {m.RuleId}"))
            .ToList();

        Assert.Empty(missed);
        Assert.Empty(alarms);
        Assert.Equal(BuiltInSecretRules.All.Count * SecretCorpus.Containers.Length, manifest.Planted.Count);
    }
}
